# server/: monbot-server — event loop, HTTP, agent sessions, UDP echo,
# configuration; the storage module comes from server/store/module.mk
# (read after this file, so its objects are named $$(STORE_OBJS) here), the
# chart library from server/chart/module.mk (read before this file). Also
# monbot-loadgen (tools/loadgen.c) and the server's tests and benchmarks.

# The readiness backend behind server/ev.h: kqueue on the BSDs, else epoll.
EV_BACKEND := $(if $(filter bsd,$(PORT)),kqueue,epoll)

SERVER_SRCS := server/main.c server/server.c server/transport.c server/http_serve.c \
               server/session.c server/commands.c server/metrics_page.c server/agents.c server/config.c \
               server/metrics.c server/http.c server/obuf.c server/log.c \
               server/udpecho.c server/cmdcli.c server/ev.c server/ev_$(EV_BACKEND).c
# JSON reading and the hostile-input sample parser (wire/, owned here).
JSONR_SRCS := wire/jsonr.c wire/sample_parse.c
JSONR_OBJS = $(JSONR_SRCS:%.c=$(O)/obj/%.o)
SERVER_OBJS = $(SERVER_SRCS:%.c=$(O)/obj/%.o) $(JSONR_OBJS)
SERVER := $(O)/monbot-server
LOADGEN := $(O)/monbot-loadgen
SERVER_LIBS := -lpthread -lm
# the charts (server/chart/module.mk): the recipe links $(CHART_LIBS)
$(SERVER): $(CHART_LIB)

.PHONY: server
server: $(SERVER) $(LOADGEN)

PROGRAMS += $(SERVER)$(if $(wildcard tools/loadgen.c), $(LOADGEN))
$(SERVER): $(SERVER_OBJS) $$(STORE_OBJS) $(WIRE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(sort $^) $(STORE_LIBS) $(WIRE_TLS_LIBS) $(CHART_LIBS) $(SERVER_LIBS)

$(LOADGEN): $(O)/obj/tools/loadgen.o $(O)/obj/server/ev.o $(O)/obj/server/ev_$(EV_BACKEND).o \
            $(O)/obj/server/obuf.o $(JSONR_OBJS) $(WIRE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $(sort $^) $(WIRE_TLS_LIBS) -lm

# ---- unit tests ----
UNIT_TESTS += test_http test_sample_parse test_ev
$(O)/tests/test_http: $(O)/obj/tests/unit/test_http.o $(O)/obj/server/http.o \
                      $(O)/obj/server/obuf.o $(O)/obj/server/metrics.o $(WIRE_WS_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm

$(O)/tests/test_sample_parse: $(O)/obj/tests/unit/test_sample_parse.o $(JSONR_OBJS) \
                              $(O)/obj/wire/sample.o $(O)/obj/wire/json.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm

$(O)/tests/test_ev: $(O)/obj/tests/unit/test_ev.o $(O)/obj/server/ev.o $(O)/obj/server/ev_$(EV_BACKEND).o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka

# The kqueue backend on Linux: the same tests over a kqueue(2) emulation on
# epoll (tests/unit/ev_kqueue_shim), so both backends run in `make test`.
ifneq ($(EV_BACKEND),kqueue)
UNIT_TESTS += test_ev_kqueue
$(O)/obj/tests/kq/ev_kqueue.o: server/ev_kqueue.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) -Itests/unit/ev_kqueue_shim $(MB_CPPFLAGS) $(CPPFLAGS) $(MB_CFLAGS) $(CFLAGS) -c -o $@ $<
$(O)/tests/test_ev_kqueue: $(O)/obj/tests/unit/test_ev.o $(O)/obj/server/ev.o $(O)/obj/tests/kq/ev_kqueue.o \
                           $(O)/obj/tests/unit/test_ev_kqueue_emul.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka
$(O)/obj/tests/unit/test_ev_kqueue_emul.o: MB_CPPFLAGS += -Itests/unit/ev_kqueue_shim
endif

# ---- integration tests and benchmarks ----
INTEG_TESTS += $(sort $(wildcard tests/integration/server_*.py tests/integration/server_*.sh))
BENCHES += tests/bench/server_bench.py
BENCH_DEPS += $(SERVER) $(LOADGEN)

# ---- fuzzing the parsers of peer input (tests/fuzz/module.mk) ----
# tests/fuzz/fuzz_sample_parse.c covers jsonr, sample_parse and the HTTP head.
FUZZ_NAMES += fuzz_sample_parse
FUZZ_SRCS_fuzz_sample_parse := $(JSONR_SRCS) wire/sample.c wire/json.c server/http.c \
                               wire/ws_handshake.c wire/sha1.c wire/base64.c wire/ws.c
FUZZ_OBJS_fuzz_sample_parse = $(JSONR_OBJS) $(O)/obj/wire/sample.o $(O)/obj/wire/json.o \
                              $(O)/obj/server/http.o $(WIRE_WS_OBJS)
FUZZ_LIBS_fuzz_sample_parse := -lm
