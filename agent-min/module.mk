# agent-min/: monbot-agent. The native build links only the C library
# dynamically (NVML is opened at run time); STATIC=1 links nothing dynamically.
AGENT_SRCS := agent-min/collect.c agent-min/config.c agent-min/agent.c agent-min/alog.c agent-min/spool.c agent-min/stab.c \
              agent-min/action.c agent-min/st_builtin.c agent-min/st_parse.c agent-min/fleet_poll.c agent-min/fleet_read.c
AGENT_OBJS = $(AGENT_SRCS:%.c=$(O)/obj/%.o)

# The fleet collectors a board keeps (issue 16): BOARD_FLEET := all (the
# default), none, or a list of docker ups units smart textfile. One left out
# is compiled as dead code (AGENT_FLEET_<X>=0, fleet_poll.h) and dropped by
# the boards' --gc-sections; fleet_poll.c and the writer stay (the agent's
# sample is written through them).
BOARD_FLEET ?= all
FLEET_COLLECTORS := docker ups units smart textfile
FLEET_MACRO_docker := AGENT_FLEET_DOCKER
FLEET_MACRO_ups := AGENT_FLEET_UPS
FLEET_MACRO_units := AGENT_FLEET_UNITS
FLEET_MACRO_smart := AGENT_FLEET_SMART
FLEET_MACRO_textfile := AGENT_FLEET_TEXTFILE
ifneq ($(BOARD_FLEET),all)
FLEET_KEEP := $(if $(filter none,$(BOARD_FLEET)),,$(BOARD_FLEET))
ifneq ($(filter-out $(FLEET_COLLECTORS),$(FLEET_KEEP)),)
$(error BOARD_FLEET: $(filter-out $(FLEET_COLLECTORS),$(FLEET_KEEP)) is none of all, none, $(FLEET_COLLECTORS))
endif
$(O)/obj/agent-min/fleet_poll.o: MB_CPPFLAGS += $(foreach c,$(filter-out $(FLEET_KEEP),$(FLEET_COLLECTORS)),-D$(FLEET_MACRO_$(c))=0)
endif
$(O)/obj/agent-min/fleet_poll.o: $(O)/gen/board_fleet
# A stamp: another BOARD_FLEET compiles fleet_poll.o again.
$(O)/gen/board_fleet: board-fleet-force
	@mkdir -p $(dir $@)
	@echo '$(BOARD_FLEET)' | cmp -s - $@ || echo '$(BOARD_FLEET)' >$@
.PHONY: board-fleet-force
AGENT_WIRE_OBJS = $(O)/obj/wire/json.o $(O)/obj/wire/jsonr.o $(O)/obj/wire/sample.o $(O)/obj/wire/fleet.o $(O)/obj/wire/fleet_names.o \
                  $(O)/obj/wire/dotenv.o $(O)/obj/wire/conf.o \
                  $(O)/obj/wire/logesc.o \
                  $(WIRE_WS_OBJS) $(WIRE_CONN_OBJS)
AGENT := $(O)/monbot-agent$(EXE)

PROGRAMS += $(AGENT)
agent: $(AGENT)

# The TLS arena's size (agent-min/config.h): the back-end's measured need
# unless given; a stamp file rebuilds agent.o when the value changes.
AGENT_TLS_ARENA_KB ?= $(WIRE_TLS_ARENA_KB)
$(O)/obj/agent-min/agent.o: MB_CPPFLAGS += -DAGENT_TLS_ARENA_KB=$(AGENT_TLS_ARENA_KB)
$(O)/obj/agent-min/agent.o: $(O)/gen/agent_tls_arena_kb
$(O)/gen/agent_tls_arena_kb: agent-tls-arena-force
	@mkdir -p $(dir $@)
	@echo '$(AGENT_TLS_ARENA_KB)' | cmp -s - $@ || echo '$(AGENT_TLS_ARENA_KB)' >$@
.PHONY: agent-tls-arena-force

# TLS runs on the agent's static arena: the arena copies of the TLS archives.
$(AGENT): $(O)/obj/agent-min/main.o $(AGENT_OBJS) $(AGENT_WIRE_OBJS) $(PORT_OBJS) $(WIRE_TLS_ARENA_LIBS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(WIRE_TLS_ARENA_LDLIBS) $(PORT_LIBS)

UNIT_TESTS += test_spool
$(O)/tests/test_spool: $(O)/obj/tests/unit/test_spool.o $(O)/obj/agent-min/spool.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka

# The stability test against an echo the test answers itself on loopback:
# needs the POSIX ports' UDP.
ifneq ($(PORT_POSIX),)
UNIT_TESTS += test_stab
$(O)/tests/test_stab: $(O)/obj/tests/unit/test_stab.o $(O)/obj/agent-min/stab.o $(O)/obj/wire/json.o \
                      $(O)/obj/wire/jsonr.o $$(PORT_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PORT_LIBS) -lcmocka
endif

# The agent binary against an independent WebSocket server behaving like the
# original one (python3-websockets): plain, TLS pinning, outage replay.
INTEG_TESTS += tests/integration/agent_link.py tests/integration/agent_tls_orig.sh tests/integration/agent_board_x86_64.sh \
               tests/integration/agent_actions.py tests/integration/agent_stability.py \
               tests/integration/agent_logesc.py

# LD_PRELOAD allocation counter for the agent's steady-state check.
TEST_HELPERS += $(O)/tests/libmalloc_count.so
$(O)/tests/libmalloc_count.so: tests/helpers/malloc_count.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) -O2 -g -shared -fPIC -Wall -Wextra -o $@ $<

# LD_PRELOAD wall-clock offset for tests/integration/server_clock.py.
TEST_HELPERS += $(O)/tests/libclockshim.so
$(O)/tests/libclockshim.so: tests/helpers/clockshim.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) -O2 -g -shared -fPIC -Wall -Wextra -o $@ $<

# The agent on the stub port, in a build folder of its own (the top Makefile
# names it build/native-unsupported), so port.h and port/unsupported/ cannot
# drift apart; tests/integration/agent_unsupported.sh runs it.
.PHONY: agent-unsupported
agent-unsupported:
	$(Q)$(MAKE) --no-print-directory PORT=unsupported SAN=0 agent
TEST_HELPERS += agent-unsupported
INTEG_TESTS += tests/integration/agent_unsupported.sh

# The speed test tools' JSON reader: unit test and fuzz target (corpus in
# tests/fuzz/fuzz_st_parse/).
UNIT_TESTS += test_st_parse
$(O)/tests/test_st_parse: $(O)/obj/tests/unit/test_st_parse.o $(O)/obj/agent-min/st_parse.o $(O)/obj/wire/jsonr.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka
FUZZ_NAMES += fuzz_st_parse
FUZZ_SRCS_fuzz_st_parse := agent-min/st_parse.c wire/jsonr.c
FUZZ_OBJS_fuzz_st_parse = $(O)/obj/agent-min/st_parse.o $(O)/obj/wire/jsonr.o

# Agent CPU and RSS idle and while a 1 ms stability test runs (issue 11)
BENCHES += tests/bench/agent_actions_bench.py
BENCH_DEPS += $(SERVER) $(AGENT)

# The fleet collectors (issue 16): their parsers on recorded replies
# (tests/fixtures/fleet/), the fleet keys' writer, and a fuzz target over
# the parsers (corpus in tests/fuzz/fuzz_fleet_read/).
UNIT_TESTS += test_fleet_read test_fleet_write
$(O)/tests/test_fleet_read: $(O)/obj/tests/unit/test_fleet_read.o $(O)/obj/agent-min/fleet_read.o \
                            $(O)/obj/wire/jsonr.o $(O)/obj/wire/fleet.o $(O)/obj/wire/fleet_names.o $(O)/obj/wire/json.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lm -lcmocka
$(O)/tests/test_fleet_write: $(O)/obj/tests/unit/test_fleet_write.o $(O)/obj/wire/fleet.o $(O)/obj/wire/fleet_names.o $(O)/obj/wire/json.o \
                             $(O)/obj/wire/jsonr.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lm -lcmocka
FUZZ_NAMES += fuzz_fleet_read
FUZZ_SRCS_fuzz_fleet_read := agent-min/fleet_read.c wire/jsonr.c wire/fleet.c wire/fleet_names.c wire/json.c
FUZZ_OBJS_fuzz_fleet_read = $(O)/obj/agent-min/fleet_read.o $(O)/obj/wire/jsonr.o $(O)/obj/wire/fleet.o $(O)/obj/wire/fleet_names.o $(O)/obj/wire/json.o
FUZZ_LIBS_fuzz_fleet_read := -lm
# The real agent --once against fake sources: Docker and Podman on Unix
# sockets, NUT, a silent NUT, apcupsd, busctl and smartctl on PATH, textfiles.
ifeq ($(PORT),linux)
INTEG_TESTS += tests/integration/agent_fleet.py
endif
