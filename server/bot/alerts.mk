# server/bot/alerts.mk — the alerts part's own rules (included by
# server/bot/module.mk): the state machine's unit test, the outbox's store
# test (SQLite here, MySQL from bot_outbox_mysql.sh) and the scenario.
UNIT_TESTS += test_alerts test_outbox
$(O)/tests/test_alerts: $(O)/obj/tests/unit/test_alerts.o $(O)/obj/server/bot/alerts_sm.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm

$(O)/obj/tests/unit/test_outbox.o: MB_CPPFLAGS += $(MARIADB_CFLAGS)
$(O)/tests/test_outbox: $(O)/obj/tests/unit/test_outbox.o $$(STORE_OBJS) $$(STORE_WIRE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(STORE_LIBS)

# The alerts with the real server, raw WebSocket peers and the Telegram double;
# the outbox test again on a private MariaDB.
INTEG_TESTS += tests/integration/bot_alerts.py tests/integration/bot_outbox_mysql.sh \
               tests/integration/bot_fleet.py tests/integration/bot_fleet_owners.py
