# wire/ws.mk — included from wire/module.mk. RFC 6455 codec and handshake,
# the connection layer over TCP and TLS (TLS=mbedtls|wolfssl), the pin file;
# their unit tests, test helpers, interop scripts, fuzz targets and bench.
#
# For programs:
#   WIRE_OBJS            every wire object, this back-end's TLS file included,
#                        and the port's socket objects (PORT_SOCK_OBJS)
#   WIRE_TLS_LIBS        TLS libraries, dynamic (the server)
#   WIRE_TLS_ARENA_LIBS  static TLS libraries whose allocations go to the
#                        arena of conn_tls_arena_init() (the agent); a
#                        prerequisite list: put it in the link rule's inputs
#   MBEDTLS_LIBDIR       where libmbed*.a are (default: asked from $(CC))

WIRE_WS_SRCS := wire/ws.c wire/ws_handshake.c wire/sha1.c wire/base64.c
WIRE_CONN_SRCS := wire/conn.c wire/conn_base.c wire/conn_$(TLS).c wire/tls_arena.c wire/tls_der.c wire/tls_pin.c
WIRE_SRCS += $(WIRE_WS_SRCS) $(WIRE_CONN_SRCS)
WIRE_WS_OBJS = $(WIRE_WS_SRCS:%.c=$(O)/obj/%.o)
WIRE_CONN_OBJS = $(WIRE_CONN_SRCS:%.c=$(O)/obj/%.o) $(PORT_SOCK_OBJS)

OBJCOPY ?= $(CROSS_COMPILE)objcopy
MBEDTLS_LIBDIR ?= $(patsubst %/,%,$(dir $(shell $(CC) -print-file-name=libmbedcrypto.a)))
WOLFSSL_LIBDIR ?= $(patsubst %/,%,$(dir $(shell $(CC) -print-file-name=libwolfssl.a)))

ifeq ($(TLS),wolfssl)
WIRE_TLS_LIBS := -lwolfssl -lm
WIRE_TLS_ARENA_LIBS := $(WOLFSSL_LIBDIR)/libwolfssl.a
WIRE_TLS_ARENA_LDLIBS := -lm
else ifeq ($(TLS),mbedtls)
WIRE_TLS_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto
WIRE_TLS_ARENA_LIBS := $(O)/lib/libmbedtls-arena.a $(O)/lib/libmbedx509-arena.a $(O)/lib/libmbedcrypto-arena.a
WIRE_TLS_ARENA_LDLIBS :=
else
$(error TLS must be mbedtls or wolfssl, not '$(TLS)')
endif

# Debian's mbedTLS calls calloc/free directly (no MEMORY_BUFFER_ALLOC_C, no
# PLATFORM_MEMORY): a copy of each archive with those two symbols renamed to
# tls_calloc/tls_free (wire/tls_arena.c) puts it on the agent's arena.
$(O)/lib/libmbed%-arena.a: $(MBEDTLS_LIBDIR)/libmbed%.a
	@mkdir -p $(dir $@)
	$(call say,OBJCOPY,$@)$(OBJCOPY) --redefine-sym calloc=tls_calloc --redefine-sym free=tls_free $< $@

# ---- unit tests ----
UNIT_TESTS += test_ws test_conn
$(O)/tests/test_ws: $(O)/obj/tests/unit/test_ws.o $(WIRE_WS_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka

# test_conn runs the TLS back-end on the arena libraries, as the agent does.
$(O)/tests/test_conn: $(O)/obj/tests/unit/test_conn.o $(WIRE_CONN_OBJS) $(WIRE_WS_OBJS) $(WIRE_TLS_ARENA_LIBS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(WIRE_TLS_ARENA_LDLIBS) -lcmocka

# ---- test helpers and integration scripts ----
# ws_peer: our client or server over TCP or TLS, driven by the Python peers.
TEST_HELPERS += $(O)/tests/ws_peer
$(O)/tests/ws_peer: $(O)/obj/tests/integration/wire_ws_peer.o $(WIRE_CONN_OBJS) $(WIRE_WS_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(WIRE_TLS_LIBS)

INTEG_TESTS += tests/integration/wire_interop.sh tests/integration/wire_pinning.sh \
               tests/integration/wire_wolfssl.sh

# ---- fuzzing (clang libFuzzer) ----
# Each target links the codec sources directly; 'make fuzz' runs each for
# FUZZ_SECONDS on its corpus in tests/fuzz/<name>/corpus and saves crash
# inputs to tests/fuzz/<name>/crashes; test_replay_<name> runs both in
# 'make test'.
WIRE_FUZZ := fuzz_ws_frame fuzz_ws_http fuzz_tls_pin
FUZZ_SECONDS ?= 60
FUZZ_TARGETS += $(WIRE_FUZZ:%=$(O)/fuzz/%)
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -std=c11 -D_GNU_SOURCE
WIRE_FUZZ_SRCS := wire/ws.c wire/ws_handshake.c wire/sha1.c wire/base64.c wire/tls_pin.c wire/tls_der.c
$(O)/fuzz/%: tests/fuzz/%.c $(WIRE_FUZZ_SRCS)
	@mkdir -p $(dir $@)
	$(call say,CLANG,$@)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(WIRE_FUZZ_SRCS)

.PHONY: wire-fuzz
fuzz: wire-fuzz
wire-fuzz: $(WIRE_FUZZ:%=$(O)/fuzz/%)
	$(Q)for t in $(WIRE_FUZZ); do \
		mkdir -p tests/fuzz/$$t/corpus tests/fuzz/$$t/crashes $(O)/fuzz/$$t.work; \
		echo "== $$t ($(FUZZ_SECONDS) s)"; \
		$(O)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=tests/fuzz/$$t/crashes/ $(O)/fuzz/$$t.work tests/fuzz/$$t/corpus \
			2>&1 | grep -E '^(#[0-9]+ +DONE|stat::|==|SUMMARY|.*ERROR)' ; \
	done

# The replay: each target's LLVMFuzzerTestOneInput under gcc with a small
# main over its corpus and crash inputs.
UNIT_TESTS += $(WIRE_FUZZ:fuzz_%=test_replay_%)
.SECONDARY: $(WIRE_FUZZ:%=$(O)/obj/tests/fuzz/%.o) $(O)/obj/tests/fuzz/replay.o
$(O)/tests/test_replay_%: $(O)/obj/tests/fuzz/fuzz_%.o $(O)/obj/tests/fuzz/replay.o $(WIRE_WS_OBJS) $(O)/obj/wire/tls_pin.o $(O)/obj/wire/tls_der.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka

# ---- benchmarks ----
# wsbench: loopback messages/s, MB/s, TLS handshakes/s, the client's arena
# peak; wsbench_client: the minimal agent-like client whose static size is
# reported (tools/wsbench.sh builds the wolfSSL variants itself).
BENCHES += tools/wsbench.sh
BENCH_DEPS += $(O)/tools/wsbench $(O)/tools/wsbench_client
$(O)/tools/wsbench: $(O)/obj/tools/wsbench.o $(WIRE_CONN_OBJS) $(WIRE_WS_OBJS) $(WIRE_TLS_ARENA_LIBS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(WIRE_TLS_ARENA_LDLIBS)
$(O)/tools/wsbench_client: $(O)/obj/tools/wsbench_client.o $(WIRE_CONN_OBJS) $(WIRE_WS_OBJS) $(WIRE_TLS_ARENA_LIBS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) $(if $(filter 1,$(SAN)),,-static) -o $@ $^ $(WIRE_TLS_ARENA_LDLIBS)
