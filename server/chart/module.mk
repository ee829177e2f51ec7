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

INTEG_TESTS += tests/integration/chart_cli.sh tests/integration/chart_golden.sh

# Fuzzing the /plot parser and the title text (tests/fuzz/module.mk): clang
# instruments the sources themselves, so it compiles them rather than
# linking the gcc-built archive; the replay links the archive.
FUZZ_NAMES += fuzz_chart
FUZZ_SRCS_fuzz_chart = $(CHART_SRCS) $(CHART_FONT_C)
FUZZ_OBJS_fuzz_chart = $(CHART_LIB)
FUZZ_LIBS_fuzz_chart := -lpthread -lm

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
