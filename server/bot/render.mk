# server/bot/render.c, render_cmd.c: the chart workers, chart buttons, /plot.
INTEG_TESTS += tests/integration/bot_charts.py tests/integration/bot_fleet_plot.py
