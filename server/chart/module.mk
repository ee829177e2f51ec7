# server/chart/: the chart module (SPEC §8) — rendering, the /plot parser,
# PNG encoding, the embedded font — compiled once into $(CHART_LIB), plus its
# unit tests, fuzz target, bench and integration scripts.
#
# A program that draws charts depends on $(CHART_LIB) and links with
# $(CHART_LIBS) after its own objects (the archive, then the system libraries
# it needs). This file is read before server/module.mk and tools/module.mk,
# so their rules can name both directly.

HOSTCC ?= cc
FONT_TTF ?= /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

CHART_SRCS := server/chart/chart.c server/chart/chart_plan.c server/chart/chart_reduce.c \
              server/chart/chart_axes.c server/chart/chart_draw.c server/chart/chart_fmt.c \
              server/chart/chart_raster.c server/chart/chart_text.c \
              server/chart/chart_png.c server/chart/chart_plot.c
CHART_FONT_C = $(O)/gen/chart_font_data.c
CHART_OBJS = $(CHART_SRCS:%.c=$(O)/obj/%.o) $(O)/obj/gen/chart_font_data.o
CHART_LIB = $(O)/lib/libmonbot-chart.a
CHART_LIBS = $(CHART_LIB) -lpthread -lm

# The font generator runs on the build machine, so it is built with HOSTCC.
$(O)/gen/fontembed: server/chart/fontembed.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$@)$(HOSTCC) -O2 -o $@ $< -lm

$(CHART_FONT_C): $(O)/gen/fontembed $(FONT_TTF)
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)$(O)/gen/fontembed $(FONT_TTF) $@.tmp && mv $@.tmp $@

$(O)/obj/gen/chart_font_data.o: $(CHART_FONT_C)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(MB_CPPFLAGS) $(CPPFLAGS) $(MB_CFLAGS) $(CFLAGS) -O0 -g0 -c -o $@ $<

# Rebuilt from scratch so an object that left the list leaves the archive.
$(CHART_LIB): $(CHART_OBJS)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && $(AR) rcs $@ $^

# ---- tests: unit (cmocka, decoding the PNGs with stb_image) and integration
# (monbot-chart on fixed inputs against golden hashes) ----
UNIT_TESTS += test_chart test_chart_plot
$(O)/tests/test_chart: $(O)/obj/tests/unit/test_chart.o $(CHART_LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHART_LIBS) -lcmocka
$(O)/tests/test_chart_plot: $(O)/obj/tests/unit/test_chart_plot.o $(CHART_LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHART_LIBS) -lcmocka

INTEG_TESTS += tests/integration/chart_cli.sh tests/integration/chart_golden.sh \
               tests/integration/chart_fuzz_replay.sh

# Fuzzing the /plot parser and the title text (`make fuzz`, clang's
# libFuzzer, which instruments the sources themselves, so it compiles them
# rather than linking the gcc-built archive); the corpus is replayed by a
# plain build in `make test`.
CHART_FUZZ := $(O)/fuzz/fuzz_chart
FUZZ_TARGETS += $(CHART_FUZZ)
FUZZ_SECONDS ?= 60
.PHONY: chart-fuzz
fuzz: chart-fuzz
# Runs it on its corpus (new inputs go to a work folder); a crash input is
# saved beside the seeds, where the replay (chart_fuzz_replay.sh) picks it up.
chart-fuzz: $(CHART_FUZZ)
	$(Q)mkdir -p $(O)/fuzz/fuzz_chart.work tests/fuzz/corpus/chart
	@echo "== fuzz_chart ($(FUZZ_SECONDS) s)"
	$(Q)$(CHART_FUZZ) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=tests/fuzz/corpus/chart/crash- $(O)/fuzz/fuzz_chart.work tests/fuzz/corpus/chart \
		2>&1 | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|==|SUMMARY|.*ERROR)'
$(CHART_FUZZ): tests/fuzz/fuzz_chart.c $(CHART_SRCS) $(CHART_FONT_C)
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -I. -std=c11 \
		-D_DEFAULT_SOURCE -D_GNU_SOURCE -o $@ $^ -lpthread -lm
TEST_HELPERS += $(O)/tests/fuzz_chart_replay
$(O)/obj/tests/fuzz/fuzz_chart_replay.o: tests/fuzz/fuzz_chart.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(MB_CPPFLAGS) $(CPPFLAGS) $(MB_CFLAGS) $(CFLAGS) -DFUZZ_REPLAY -c -o $@ $<
$(O)/tests/fuzz_chart_replay: $(O)/obj/tests/fuzz/fuzz_chart_replay.o $(CHART_LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHART_LIBS)

# Bench: render+encode time and PNG size per kind and range.
CHART_BENCH := $(O)/tests/chart_bench
BENCHES += tests/bench/chart.sh
BENCH_DEPS += $(CHART_BENCH)
TEST_HELPERS += $(CHART_BENCH)
$(CHART_BENCH): $(O)/obj/tests/bench/chart_bench.o $(CHART_LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHART_LIBS)

#   make chart-golden   re-render the golden charts and rewrite their hashes
#   make chart-docs     re-render the README's pictures in docs/img/
# (monbot-chart comes from tools/module.mk, read after this file.)
.PHONY: chart-golden chart-docs
chart-golden: $$(MONBOT_CHART)
	$(Q)O="$(O)" PYTHON="$(PYTHON)" tests/integration/chart_golden.sh --update
chart-docs: $$(MONBOT_CHART)
	$(Q)O="$(O)" PYTHON="$(PYTHON)" tests/integration/chart_docs.sh
