# tools/: monbot-chart, which links the chart library (server/chart/module.mk,
# read before this file), and the database helper of its --key test.

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
# a database with a key and rows, for the --key test
TEST_HELPERS += $(O)/tests/chart_seed
$(O)/tests/chart_seed: $(O)/obj/tests/integration/chart_seed.o $$(MONBOT_CHART_STORE)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(sort $^) $(MONBOT_CHART_STORE_LIBS)

$(MONBOT_CHART): $(O)/obj/tools/monbot-chart.o $(CHART_LIB) $$(MONBOT_CHART_STORE)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(sort $(filter %.o,$^)) $(MONBOT_CHART_STORE_LIBS) $(CHART_LIBS)
