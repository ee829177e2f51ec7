# wire/ws.mk — included from wire/module.mk. RFC 6455 codec and handshake,
# the connection layer over TCP and TLS (TLS=mbedtls|wolfssl), the pin file;
# their unit tests, test helpers, interop scripts, fuzz targets and bench.
#
# For programs:
#   WIRE_OBJS            every wire object, this back-end's TLS file included,
#                        and the port's socket objects (PORT_SOCK_OBJS)
#   WIRE_TLS_LIBS        TLS libraries for the server (Debian's dynamic ones,
#                        or build/mbedtls-host's static ones: Makefile)
#   WIRE_TLS_ARENA_LIBS  static TLS libraries whose allocations go to the
#                        arena of conn_tls_arena_init() (the agent); a
#                        prerequisite list: put it in the link rule's inputs
#   WIRE_TLS_ARENA_KB    KiB of arena this back-end's client needs (below)
#   MBEDTLS_LIBDIR       where libmbed*.a are (default: asked from $(CC))

WIRE_WS_SRCS := wire/ws.c wire/ws_handshake.c wire/sha1.c wire/base64.c
WIRE_CONN_SRCS := wire/conn.c wire/conn_base.c wire/conn_$(TLS).c wire/tls_arena.c wire/tls_der.c wire/tls_pin.c
WIRE_SRCS += $(WIRE_WS_SRCS) $(WIRE_CONN_SRCS)
WIRE_WS_OBJS = $(WIRE_WS_SRCS:%.c=$(O)/obj/%.o)
WIRE_CONN_OBJS = $(WIRE_CONN_SRCS:%.c=$(O)/obj/%.o) $(PORT_SOCK_OBJS)

OBJCOPY ?= $(CROSS_COMPILE)objcopy
MBEDTLS_LIBDIR ?= $(patsubst %/,%,$(dir $(shell $(CC) -print-file-name=libmbedcrypto.a)))
WOLFSSL_LIBDIR ?= $(patsubst %/,%,$(dir $(shell $(CC) -print-file-name=libwolfssl.a)))

# WIRE_TLS_ARENA_KB: the agent's TLS arena for one pin-mode connection,
# measured with the real agent against both servers (the "agent TLS arena
# peak" rows of tools/wsbench.sh; tests/integration/tls_pairs.py reads it
# from the agent's exit line): mbedTLS 2.28 about 45 KiB; wolfSSL 5.5 about
# 1 770 KiB, of which 1 660 are two entries of Debian's fixed-point ECC cache
# (FP_ECC, 257 points each) built on the first ECDSA check of the server's
# signature, given back when the connection closes.
ifeq ($(TLS),wolfssl)
WIRE_TLS_ARENA_KB := 2048
WIRE_TLS_LIBS := -lwolfssl -lm
WIRE_TLS_ARENA_LIBS := $(WOLFSSL_LIBDIR)/libwolfssl.a
WIRE_TLS_ARENA_LDLIBS := -lm
else ifeq ($(TLS),mbedtls)
WIRE_TLS_ARENA_KB := 160
# the native builds: the static libraries of build/mbedtls-host (Makefile)
WIRE_TLS_LIBS := $(if $(filter 1,$(HOST_MBEDTLS)),$(MBEDTLS_LIBDIR)/libmbedtls.a $(MBEDTLS_LIBDIR)/libmbedx509.a \
                 $(MBEDTLS_LIBDIR)/libmbedcrypto.a -lpthread,-lmbedtls -lmbedx509 -lmbedcrypto)
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
               tests/integration/wire_wolfssl.sh tests/integration/tls_pairs.sh

# ---- fuzzing (tests/fuzz/module.mk has the rules and the layout) ----
# The codec sources linked directly; the replay links the same objects.
# tls_pin.c writes the pin file through the port (port/posix/file.c).
WIRE_FUZZ_SRCS := wire/ws.c wire/ws_handshake.c wire/sha1.c wire/base64.c wire/tls_pin.c wire/tls_der.c port/posix/file.c
FUZZ_NAMES += fuzz_ws_frame fuzz_ws_http fuzz_tls_pin
$(foreach t,fuzz_ws_frame fuzz_ws_http fuzz_tls_pin,$(eval FUZZ_SRCS_$(t) := $(WIRE_FUZZ_SRCS)))
$(foreach t,fuzz_ws_frame fuzz_ws_http fuzz_tls_pin,$(eval FUZZ_OBJS_$(t) = $$(WIRE_WS_OBJS) $$(O)/obj/wire/tls_pin.o $$(O)/obj/wire/tls_der.o $$(PORT_SOCK_OBJS)))

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
