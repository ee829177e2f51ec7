# tests/: the collector tests over the Linux fixture trees
# (tests/fixtures/README.md), the fleet chain from agent to bot and the check
# of the tree's shape. Other test programs live in their module's fragment or
# in tests/agent-tests.mk.
ifeq ($(PORT),linux)
UNIT_TESTS += test_collect
$(O)/tests/test_collect: $(O)/obj/tests/unit/test_collect.o $(O)/obj/agent-min/collect.o $$(PORT_OBJS) \
                         $(O)/obj/wire/json.o $(O)/obj/wire/sample.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PORT_LIBS) -lcmocka

INTEG_TESTS += tests/integration/agent_fixtures.sh
# The real agent (a fake Docker Engine and upsd) to the real server and bot.
INTEG_TESTS += tests/integration/fleet_e2e.py
endif

# The tree's shape, over the objects of this build (tools/layout-check.py).
INTEG_TESTS += tests/integration/tree_layout.sh
