# tools/: the chart module (server/chart*.c, built here so it has one owner),
# its font generator, monbot-chart, and their tests and bench.
#
# For monbot-server: link $(CHART_OBJS) and add $(CHART_LIBS). This file is
# read after server/module.mk, so it adds $(CHART_OBJS) to the server's
# prerequisites itself; the server's recipe should use $^ (or $(CHART_OBJS),
# which a recipe expands late) and $(CHART_LIBS).
#
#   make chart-golden   re-render the golden charts and rewrite their hashes
#   make chart-docs     re-render the README's pictures in docs/img/

HOSTCC ?= cc
FONT_TTF ?= /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

CHART_SRCS := server/chart.c server/chart_raster.c server/chart_text.c server/chart_png.c \
              server/chart_plot.c
CHART_FONT_C = $(O)/gen/chart_font_data.c
CHART_OBJS = $(CHART_SRCS:%.c=$(O)/obj/%.o) $(O)/obj/gen/chart_font_data.o
CHART_LIBS := -lpthread -lm

# The generator runs on the build machine, so it is built with HOSTCC.
$(O)/gen/fontembed: tools/fontembed.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$@)$(HOSTCC) -O2 -o $@ $< -lm

$(CHART_FONT_C): $(O)/gen/fontembed $(FONT_TTF)
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)$(O)/gen/fontembed $(FONT_TTF) $@.tmp && mv $@.tmp $@

$(O)/obj/gen/chart_font_data.o: $(CHART_FONT_C)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(MB_CPPFLAGS) $(CPPFLAGS) $(MB_CFLAGS) $(CFLAGS) -O0 -g0 -c -o $@ $<

$(O)/monbot-server: $(CHART_OBJS)

# monbot-chart: any chart kind to a PNG file, from a CSV file or (--key) from
# the database the server is configured for.
MONBOT_CHART := $(O)/monbot-chart
PROGRAMS += $(MONBOT_CHART)
.PHONY: chart-tools
tools: $(MONBOT_CHART)
chart-tools: $(MONBOT_CHART)

# --key reads the database through the storage module.
MONBOT_CHART_STORE = $(STORE_OBJS) $(STORE_WIRE_OBJS) $(O)/obj/wire/dotenv.o
MONBOT_CHART_STORE_LIBS = $(STORE_LIBS)
$(O)/obj/tools/monbot-chart.o: MB_CPPFLAGS += -DCHART_WITH_STORE=1
# a database with a key and rows, for the --key test
TEST_HELPERS += $(O)/tests/chart_seed
$(O)/tests/chart_seed: $(O)/obj/tests/integration/chart_seed.o $$(MONBOT_CHART_STORE)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(sort $^) $(MONBOT_CHART_STORE_LIBS)

$(MONBOT_CHART): $(O)/obj/tools/monbot-chart.o $(CHART_OBJS) $$(MONBOT_CHART_STORE)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(sort $^) $(MONBOT_CHART_STORE_LIBS) $(CHART_LIBS)

# Tests: unit (cmocka, decoding the PNGs with stb_image) and integration
# (monbot-chart on fixed inputs against golden hashes).
UNIT_TESTS += test_chart test_chart_plot
$(O)/tests/test_chart: $(O)/obj/tests/unit/test_chart.o $(CHART_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(CHART_LIBS)
$(O)/tests/test_chart_plot: $(O)/obj/tests/unit/test_chart_plot.o $(CHART_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(CHART_LIBS)

INTEG_TESTS += tests/integration/chart_cli.sh tests/integration/chart_golden.sh \
               tests/integration/chart_fuzz_replay.sh

# Fuzzing the /plot parser and the title text (`make fuzz`, clang's
# libFuzzer); the corpus is replayed by a plain build in `make test`.
CHART_FUZZ := $(O)/fuzz/fuzz_chart
FUZZ_TARGETS += $(CHART_FUZZ)
FUZZ_SECONDS ?= 60
.PHONY: chart-fuzz
fuzz: chart-fuzz
# Runs it on its corpus (new inputs go to a work folder); a crash input is
# saved beside the seeds, where test_fuzz replay picks it up.
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
$(O)/tests/fuzz_chart_replay: $(O)/obj/tests/fuzz/fuzz_chart_replay.o $(CHART_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(CHART_LIBS)

# Bench: render+encode time and PNG size per kind and range.
CHART_BENCH := $(O)/tests/chart_bench
BENCHES += tests/bench/chart.sh
BENCH_DEPS += $(CHART_BENCH)
TEST_HELPERS += $(CHART_BENCH)
$(CHART_BENCH): $(O)/obj/tests/bench/chart_bench.o $(CHART_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(CHART_LIBS)

.PHONY: chart-golden chart-docs
chart-golden: $(MONBOT_CHART)
	$(Q)O="$(O)" PYTHON="$(PYTHON)" tests/integration/chart_golden.sh --update
chart-docs: $(MONBOT_CHART)
	$(Q)O="$(O)" PYTHON="$(PYTHON)" tests/integration/chart_docs.sh
