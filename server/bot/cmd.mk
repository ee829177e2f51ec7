# server/bot/cmd.mk: the tests of the commands, the status message and its
# buttons, the list and the callbacks (cmd.c, status.c, actions.c, list.c,
# stext.c, cb.c), with the real server, a real agent and the Telegram double.
INTEG_TESTS += tests/integration/bot_conversation.py tests/integration/bot_ownership.py \
               tests/integration/bot_limits.py
