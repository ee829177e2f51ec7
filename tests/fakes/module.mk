# tests/fakes/: the Telegram Bot API double (tgdouble.py, tgmethods.py,
# tgcontrol.py, tghtml.py; driven by tests/integration/lib/tg.py) and its
# self-test, a fake bot over urllib.
INTEG_TESTS += tests/integration/bot_double_self.py
