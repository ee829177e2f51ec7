# wire/: code both ends share (JSON writing now; RFC 6455 and TLS join it).
WIRE_SRCS := wire/json.c wire/sample.c wire/dotenv.c wire/conf.c
WIRE_OBJS = $(WIRE_SRCS:%.c=$(O)/obj/%.o)

UNIT_TESTS += test_json
$(O)/tests/test_json: $(O)/obj/tests/unit/test_json.o $(O)/obj/wire/json.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm

# RFC 6455, the connection layer and their tests (issue 3).
include wire/ws.mk
