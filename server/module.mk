# server/: monbot-server — the core: HTTP endpoints, agent sessions,
# commands, /metrics, configuration. Its parts from the subsystems' own
# fragments: the event loop from server/ev/ and the chart library from
# server/chart/ (both read before this file), the connections from
# server/net/ and the storage from server/store/ (read after it, so their
# objects are named $$(NET_OBJS) and $$(STORE_OBJS) here). Also
# monbot-loadgen (tools/loadgen.c) and the server's tests and benchmarks.

SERVER_SRCS := server/main.c server/server.c server/http_serve.c server/session.c server/session_out.c \
               server/results.c \
               server/commands.c server/metrics_page.c server/agents.c server/config.c \
               server/metrics.c server/log.c server/cmdcli.c server/guard.c server/dist.c
# JSON reading and the hostile-input sample parser (wire/, owned here).
JSONR_SRCS := wire/jsonr.c wire/sample_parse.c
JSONR_OBJS = $(JSONR_SRCS:%.c=$(O)/obj/%.o)
# The fleet keys' reader (wire/fleet.h): the server's only; the agent links
# the writer wire/fleet.c and the shared names wire/fleet_names.c.
FLEET_PARSE_SRCS := wire/fleet_parse.c wire/fleet_names.c
FLEET_PARSE_OBJS = $(FLEET_PARSE_SRCS:%.c=$(O)/obj/%.o)
SERVER_OBJS = $(SERVER_SRCS:%.c=$(O)/obj/%.o) $(JSONR_OBJS) $(FLEET_PARSE_OBJS) $(EV_OBJS) $(BOT_OBJS)
SERVER := $(O)/monbot-server
LOADGEN := $(O)/monbot-loadgen
SERVER_LIBS := -lpthread -lm
# the charts (server/chart/module.mk): the recipe links $(CHART_LIBS)
$(SERVER): $(CHART_LIB)

.PHONY: server
server: $(SERVER) $(LOADGEN)

PROGRAMS += $(SERVER)$(if $(wildcard tools/loadgen.c), $(LOADGEN))
$(SERVER): $(SERVER_OBJS) $$(NET_OBJS) $$(STORE_OBJS) $(WIRE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(sort $^) $(STORE_LIBS) $(WIRE_TLS_LIBS) $(CHART_LIBS) $(BOT_LIBS) $(SERVER_LIBS)

$(LOADGEN): $(O)/obj/tools/loadgen.o $(EV_OBJS) $(O)/obj/server/net/obuf.o $(JSONR_OBJS) $(WIRE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(sort $^) $(WIRE_TLS_LIBS) -lm

# ---- unit tests ----
UNIT_TESTS += test_sample_parse
$(O)/tests/test_sample_parse: $(O)/obj/tests/unit/test_sample_parse.o $(JSONR_OBJS) \
                              $(O)/obj/wire/sample.o $(O)/obj/wire/json.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm

UNIT_TESTS += test_dist
$(O)/tests/test_dist: $(O)/obj/tests/unit/test_dist.o $(O)/obj/server/dist.o $(O)/obj/wire/base64.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka

UNIT_TESTS += test_fleet_parse
$(O)/tests/test_fleet_parse: $(O)/obj/tests/unit/test_fleet_parse.o $(FLEET_PARSE_OBJS) $(O)/obj/wire/jsonr.o $(O)/obj/wire/logesc.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm

# ---- integration tests and benchmarks ----
INTEG_TESTS += $(sort $(wildcard tests/integration/server_*.py tests/integration/server_*.sh))
BENCHES += tests/bench/server_bench.py tests/bench/server_budgets_bench.py tests/bench/server_scale_bench.py
BENCH_DEPS += $(SERVER) $(LOADGEN)

# ---- fuzzing the parsers of peer input (tests/fuzz/module.mk) ----
# tests/fuzz/fuzz_sample_parse.c covers jsonr, sample_parse and the HTTP head.
FUZZ_NAMES += fuzz_sample_parse
FUZZ_SRCS_fuzz_sample_parse := $(JSONR_SRCS) wire/sample.c wire/json.c server/net/http.c \
                               wire/ws_handshake.c wire/sha1.c wire/base64.c wire/ws.c
FUZZ_OBJS_fuzz_sample_parse = $(JSONR_OBJS) $(O)/obj/wire/sample.o $(O)/obj/wire/json.o \
                              $(O)/obj/server/net/http.o $(WIRE_WS_OBJS)
FUZZ_LIBS_fuzz_sample_parse := -lm

# tests/fuzz/fuzz_fleet_parse.c: the fleet keys (wire/fleet_parse.c).
FUZZ_NAMES += fuzz_fleet_parse
FUZZ_SRCS_fuzz_fleet_parse := wire/jsonr.c $(FLEET_PARSE_SRCS) server/store/fleet_text.c wire/json.c wire/logesc.c \
                              wire/fleet.c
FUZZ_OBJS_fuzz_fleet_parse = $(O)/obj/wire/jsonr.o $(FLEET_PARSE_OBJS) $(O)/obj/server/store/fleet_text.o \
                             $(O)/obj/wire/json.o $(O)/obj/wire/logesc.o $(O)/obj/wire/fleet.o
FUZZ_LIBS_fuzz_fleet_parse := -lm
