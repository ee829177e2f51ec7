# server/bot/tg.mk: the Bot API client's test driver (tests/unit/tg_drive.c,
# tg.c under a script) and its integration test against the Telegram double.
TG_DRIVE := $(O)/tests/tg_drive
TG_DRIVE_OBJS = $(O)/obj/tests/unit/tg_drive.o $(O)/obj/server/bot/tg.o $(O)/obj/server/bot/tg_args.o \
                $(O)/obj/wire/json.o $(O)/obj/wire/jsonr.o $(O)/obj/wire/logesc.o $(O)/obj/server/log.o
$(TG_DRIVE): $(TG_DRIVE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(BOT_LIBS) -lpthread

TEST_HELPERS += $(TG_DRIVE)
INTEG_TESTS += tests/integration/bot_api.py
