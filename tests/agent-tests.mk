# tests/agent-tests.mk: agent tests beyond the fixture trees. Fake NVML
# libraries, the GPU and allocation unit tests, integration scripts against
# the real binary (GPU fakes, the live machine, configuration) and the agent
# bench. The top Makefile includes it after the */module.mk fragments. It
# also names its targets as prerequisites of test-build and bench directly,
# so it works even when it is read after those rules.

# Fake libnvidia-ml.so.1 in three builds: two GPUs with scenarios
# (FAKE_NVML=...), only the symbols the agent cannot do without, and
# without nvmlDeviceGetMemoryInfo (the agent must refuse it). Never built
# with sanitizers: the plain agent binary loads it.
FAKENVML_VARIANTS := fakenvml fakenvml-minimal fakenvml-nomem
FAKENVML_LIBS := $(FAKENVML_VARIANTS:%=$(O)/tests/%/libnvidia-ml.so.1)
FAKENVML_CFLAGS_fakenvml :=
FAKENVML_CFLAGS_fakenvml-minimal := -DFAKE_NVML_MINIMAL
FAKENVML_CFLAGS_fakenvml-nomem := -DFAKE_NVML_NOMEM
FAKENVML_CC = $(CC) -I. -std=c11 -D_DEFAULT_SOURCE $(filter-out -fsanitize%,$(MB_CFLAGS) $(CFLAGS))

$(O)/tests/%/libnvidia-ml.so.1: tests/fakes/fake_nvml.c
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(FAKENVML_CC) $(FAKENVML_CFLAGS_$*) -shared -fPIC \
		-Wl,-soname,libnvidia-ml.so.1 -o $@ $<

AGENT_TEST_OBJS = $(O)/obj/agent-min/collect.o $(PORT_OBJS) $(O)/obj/wire/json.o $(O)/obj/wire/sample.o

# GPU back-ends in process: nvidia-smi CSV parsing, the PATH search and
# NVML through the fake libraries (the test re-executes itself with
# LD_LIBRARY_PATH pointing at them).
UNIT_TESTS += test_gpu
$(O)/tests/test_gpu: $(O)/obj/tests/unit/test_gpu.o $$(AGENT_TEST_OBJS) | $(FAKENVML_LIBS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PORT_LIBS) -lcmocka

# No heap allocation per cycle: calls from our objects are counted through
# the linker's --wrap; the test also replaces malloc itself (when not under
# ASan) to count allocations made inside the C library.
UNIT_TESTS += test_agent_alloc
ALLOC_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
# The fleet collectors are on in its last case (fleet_poll.h).
AGENT_FLEET_OBJS = $(O)/obj/agent-min/fleet_poll.o $(O)/obj/agent-min/fleet_read.o $(O)/obj/agent-min/alog.o \
                   $(O)/obj/wire/fleet.o $(O)/obj/wire/fleet_names.o $(O)/obj/wire/jsonr.o $(O)/obj/wire/logesc.o
$(O)/tests/test_agent_alloc: $(O)/obj/tests/unit/test_agent_alloc.o $(O)/obj/tests/unit/alloc_count.o \
		$$(AGENT_TEST_OBJS) $$(AGENT_FLEET_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) $(ALLOC_WRAP) -rdynamic -o $@ $^ $(PORT_LIBS) -lcmocka -lpthread

# Bench helper: CPU time per sample and peak RSS (tests/bench/agent.sh).
AGENT_BENCH := $(O)/tests/agent_bench
$(AGENT_BENCH): $(O)/obj/tests/bench/agent_bench.o $$(AGENT_TEST_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PORT_LIBS)

# Static copies for the bench: the agent exactly as 'make agent STATIC=1'
# builds it, in a build folder of its own (STATIC=1 alone would write over
# the dynamic binary in $(O)), and the bench helper linked statically.
AGENT_STATIC_O := $(O)/static-agent
.PHONY: agent-static agent-musl
agent-musl:
	$(Q)$(MAKE) --no-print-directory BOARD=x86_64 SAN=0 agent
agent-static:
	$(Q)$(MAKE) --no-print-directory O=$(AGENT_STATIC_O) STATIC=1 SAN=0 $(AGENT_STATIC_O)/monbot-agent
$(O)/tests/agent_bench.static: $(O)/obj/tests/bench/agent_bench.o $$(AGENT_TEST_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -static -o $@ $^ $(PORT_LIBS) 2>$@.log || { cat $@.log; false; }

TEST_HELPERS += $(FAKENVML_LIBS) $(AGENT_BENCH)
INTEG_TESTS += tests/integration/agent_gpu.sh tests/integration/agent_live.sh \
               tests/integration/agent_config.sh
AGENT_BENCH_DEPS := $(AGENT_BENCH) $(O)/tests/agent_bench.static agent-static agent-musl
BENCH_DEPS += $(AGENT_BENCH_DEPS)
BENCHES += tests/bench/agent.sh

test-build: $(FAKENVML_LIBS) $(AGENT_BENCH) $(O)/tests/test_gpu $(O)/tests/test_agent_alloc
bench: $(AGENT_BENCH_DEPS)

# board_check (tests/board/board_check.c): a board's own check of the
# WebSocket frames, the sample JSON and the allocations per cycle, linked
# the way the board's agent is (static on the boards: every malloc of the
# link counted); 'make board-check BOARD=<name>', run under qemu by
# tests/integration/agent_boards.sh.
BOARD_CHECK := $(O)/tests/board_check
$(BOARD_CHECK): $(O)/obj/tests/board/board_check.o $(O)/obj/tests/unit/alloc_count.o $$(AGENT_TEST_OBJS) $$(WIRE_WS_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) $(ALLOC_WRAP) -o $@ $^ $(PORT_LIBS)
.PHONY: board-check
board-check: $(BOARD_CHECK)
INTEG_TESTS += tests/integration/agent_boards.sh
# make bench: each board's size and its RSS over ten minutes (boards_bench.py).
BENCH_DEPS += boards
BENCHES += tests/bench/boards_bench.py
# The live cycle (issue 15): CPU per cycle from schedstat over 60 s at 1 s,
# system calls per cycle and RSS, the native agent and BOARD=x86_64 (musl)
# against the real server over TLS (agent_cycle.py).
BENCH_DEPS += $(SERVER) $(AGENT) agent-musl
BENCHES += tests/bench/agent_cycle.py

# The fleet collectors' cost per cycle (tests/bench/fleet.sh).
FLEET_BENCH := $(O)/tests/fleet_bench
$(FLEET_BENCH): $(O)/obj/tests/bench/fleet_bench.o $$(PORT_OBJS) $$(AGENT_FLEET_OBJS) $(O)/obj/wire/json.o \
                $(O)/obj/wire/sample.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PORT_LIBS) -lpthread
TEST_HELPERS += $(FLEET_BENCH)
BENCH_DEPS += $(FLEET_BENCH)
BENCHES += tests/bench/fleet.sh

# fleet_poll.c's cadence and rests against sockets of the test itself.
ifeq ($(PORT),linux)
UNIT_TESTS += test_fleet_poll
$(O)/tests/test_fleet_poll: $(O)/obj/tests/unit/test_fleet_poll.o $$(PORT_OBJS) $$(AGENT_FLEET_OBJS) \
                            $(O)/obj/wire/json.o $(O)/obj/wire/sample.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PORT_LIBS) -lpthread -lcmocka
endif
