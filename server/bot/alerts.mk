# server/bot/alerts.mk — the alerts part's own rules (included by
# server/bot/module.mk): the state machine's unit test.
UNIT_TESTS += test_alerts
$(O)/tests/test_alerts: $(O)/obj/tests/unit/test_alerts.o $(O)/obj/server/bot/alerts_sm.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm

# The alerts with the real server, raw WebSocket peers and the Telegram double.
INTEG_TESTS += tests/integration/bot_alerts.py
