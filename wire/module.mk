# wire/: code both ends share: JSON writing, the metric record, .env and
# configuration setters; RFC 6455, the connection layer and TLS are in
# wire/ws.mk. WIRE_OBJS carries the port's socket objects conn.c calls.
WIRE_SRCS := wire/json.c wire/sample.c wire/fleet.c wire/fleet_names.c wire/dotenv.c wire/conf.c wire/logesc.c
WIRE_OBJS = $(WIRE_SRCS:%.c=$(O)/obj/%.o) $(PORT_SOCK_OBJS)

UNIT_TESTS += test_json
$(O)/tests/test_json: $(O)/obj/tests/unit/test_json.o $(O)/obj/wire/json.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm

# RFC 6455, the connection layer and their tests.
include wire/ws.mk

UNIT_TESTS += test_dotenv
$(O)/tests/test_dotenv: $(O)/obj/tests/unit/test_dotenv.o $(O)/obj/wire/dotenv.o $(PORT_SOCK_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka

UNIT_TESTS += test_logesc
$(O)/tests/test_logesc: $(O)/obj/tests/unit/test_logesc.o $(O)/obj/wire/logesc.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka
