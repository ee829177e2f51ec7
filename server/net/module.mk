# server/net/: the server's connections below HTTP and the agent protocol:
# the transport (accept, TLS handshake, reads, bounded output, deadlines;
# upward only through its handler table), the I/O-free HTTP head reader and
# router, the bounded byte queue, the UDP echo. Linked into monbot-server.
NET_SRCS := server/net/transport.c server/net/http.c server/net/obuf.c server/net/udpecho.c
NET_OBJS := $(NET_SRCS:%.c=$(O)/obj/%.o)

UNIT_TESTS += test_http
$(O)/tests/test_http: $(O)/obj/tests/unit/test_http.o $(O)/obj/server/net/http.o \
                      $(O)/obj/server/net/obuf.o $(O)/obj/server/metrics.o $(WIRE_WS_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm

UNIT_TESTS += test_udpecho
$(O)/tests/test_udpecho: $(O)/obj/tests/unit/test_udpecho.o $(O)/obj/server/net/udpecho.o \
                         $(O)/obj/server/net/obuf.o $(O)/obj/server/metrics.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm
