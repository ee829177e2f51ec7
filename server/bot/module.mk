# server/bot/: the Telegram bot (SPEC §7), linked into monbot-server. Every
# .c file here is part of it; a part that needs its own rules (unit tests,
# drivers) puts them in server/bot/<part>.mk, included below. Read before
# server/module.mk, which links $(BOT_OBJS) and $(BOT_LIBS).

BOT_SRCS := $(sort $(wildcard server/bot/*.c))
BOT_OBJS := $(BOT_SRCS:%.c=$(O)/obj/%.o)
BOT_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

include $(filter-out server/bot/module.mk,$(sort $(wildcard server/bot/*.mk)))

# Remote actions through the bot: against an agent that speaks as the
# original's, and against real agents
INTEG_TESTS += tests/integration/bot_actions_peer.py tests/integration/bot_actions.py

# /status round trip and chart button -> photo with 1000 other agents
BENCHES += tests/bench/bot_bench.py
BENCH_DEPS += $(SERVER) $(LOADGEN)
