/* Unit tests for the /plot parser (server/chart/chart_plot.c): the original's
 * grammar, unit tables, mixed-unit error and error texts in both languages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/chart/chart.h"

/* Splits a command line on spaces, as Telegram's args arrive. */
static int parse(const char *line, enum chart_lang lang, struct chart_plot *p, char *err, size_t n)
{
	static char buf[256];
	const char *argv[16];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *s = strtok(buf, " "); s && argc < 16; s = strtok(NULL, " "))
		argv[argc++] = s;
	err[0] = 0;
	return chart_plot_parse(argc, argv, lang, p, err, n);
}

static void test_ok_cases(void **state)
{
	struct chart_plot p;
	char err[160];
	assert_int_equal(parse("cpu;ram 1h", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_int_equal(p.nmetrics, 2);
	assert_int_equal(p.metric[0], CHART_M_CPU);
	assert_int_equal(p.metric[1], CHART_M_RAM);
	assert_int_equal(p.seconds, 3600);
	assert_int_equal(p.family, CHART_F_PERCENT);
	assert_string_equal(p.unit_label, "%");
	assert_true(isnan(p.limit));

	/* interval tokens are summed; "net" is up and down; auto unit */
	assert_int_equal(parse("net 30m 15s 1H", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_int_equal(p.seconds, 30 * 60 + 15 + 3600);
	assert_int_equal(p.nmetrics, 2);
	assert_int_equal(p.metric[0], CHART_M_NET_UP);
	assert_int_equal(p.metric[1], CHART_M_NET_DOWN);
	assert_int_equal(p.family, CHART_F_BITS);
	assert_true(p.unit_scale == 0);

	/* [limit] [unit]: a byte unit turns RAM into the used amount */
	assert_int_equal(parse("ram 2d 8 gb", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_int_equal(p.metric[0], CHART_M_RAM_USED);
	assert_int_equal(p.family, CHART_F_BYTES);
	assert_true(p.limit == 8);
	assert_true(p.unit_scale == 1073741824.0); /* the original's gb is 1024^3 */
	assert_string_equal(p.unit_label, "GiB");
	assert_string_equal(p.unit, "gb");

	assert_int_equal(parse("vram 1h MiB;", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_int_equal(p.metric[0], CHART_M_VRAM_USED);
	assert_true(p.unit_scale == 1048576.0);

	assert_int_equal(parse("ram;vram 1h kb", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_true(p.unit_scale == 1024.0);
	assert_string_equal(p.unit_label, "KiB");

	assert_int_equal(parse("net_up;net_down 10m 500 mbit", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_true(p.unit_scale == 1e6);
	assert_string_equal(p.unit_label, "Mbit/s");
	assert_true(p.limit == 500);

	assert_int_equal(parse("net 10m kbit", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_true(p.unit_scale == 1e3);
	assert_int_equal(parse("net 10m gbit", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_true(p.unit_scale == 1e9);
	assert_int_equal(parse("net 10m bit", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_true(p.unit_scale == 1);

	/* percent units, a limit alone, repeated metrics once */
	assert_int_equal(parse("cpu;gpu;cpu 3h 90 %", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_int_equal(p.nmetrics, 2);
	assert_true(p.limit == 90);
	assert_int_equal(parse("ram 3h percent", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_int_equal(p.metric[0], CHART_M_RAM);
	assert_int_equal(parse("CPU;Swap 2d 50.5", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_true(p.limit == 50.5);
	assert_int_equal(p.metric[1], CHART_M_SWAP);
	assert_int_equal(parse("cpu_temp;gpu_temp 1d", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_int_equal(p.family, CHART_F_TEMP);
	assert_string_equal(p.unit_label, "\xc2\xb0" "C");
	assert_int_equal(parse("net;net_up 1d12h", CHART_EN, &p, err, sizeof(err)), CHART_OK);
	assert_int_equal(p.seconds, 36 * 3600);
	assert_int_equal(p.nmetrics, 2);
}

static void test_errors(void **state)
{
	static const struct {
		const char *line;
		int rc;
		const char *en, *ru;
	} t[] = {
		{"cpu", CHART_EINVAL, "Usage: /plot <key or name> <metrics> <interval> [limit] [unit]",
		 "Синтаксис: /plot <ключ/имя> <метрики> <интервал> [предел] [единицы]"},
		{"cpu;net 1h", CHART_EUNITS, "Metric units do not match", "Единицы метрик не совпадают"},
		{"ram;net 1h mb", CHART_EUNITS, "Metric units do not match", "Единицы метрик не совпадают"},
		{"cpu;ram 1h mb", CHART_EUNITS, "Metric units do not match", "Единицы метрик не совпадают"},
		{"cpu 1h mb", CHART_EUNITS, "Metric units do not match", "Единицы метрик не совпадают"},
		{"net 1h %", CHART_EUNITS, "Metric units do not match", "Единицы метрик не совпадают"},
		{"cpu_temp;cpu 1h", CHART_EUNITS, "Metric units do not match", "Единицы метрик не совпадают"},
		{"cpu soon", CHART_EINVAL, "Invalid interval", "Неверный интервал"},
		{"cpu 0m", CHART_EINVAL, "Invalid interval", "Неверный интервал"},
		{"cpu 1w", CHART_EINVAL, "Invalid interval", "Неверный интервал"},
		{"cpu 400d", CHART_EINVAL, "Invalid interval", "Неверный интервал"},
		{"cpu 200d 200d", CHART_EINVAL, "Invalid interval", "Неверный интервал"},
		{"cpu 99999999999999999999d", CHART_EINVAL, "Invalid interval", "Неверный интервал"},
		{"cpu 1h 50 % extra", CHART_EINVAL, "Too many arguments", "Слишком много аргументов"},
		{"cpu 1h % %", CHART_EINVAL, "Too many arguments", "Слишком много аргументов"},
		{"cpu 1h furlong", CHART_EINVAL,
		 "Unknown unit: furlong (use % b kb kib mb mib gb gib bit kbit mbit gbit)",
		 "Неизвестные единицы: furlong (можно % b kb kib mb mib gb gib bit kbit mbit gbit)"},
		{"load 1h", CHART_EINVAL, "Unknown metric: load", "Неизвестная метрика: load"},
		{";; 1h", CHART_EINVAL, "Unknown metric: ;;", "Неизвестная метрика: ;;"},
		{"cpu 1h -5", CHART_EINVAL, "Invalid limit: -5", "Неверный предел: -5"},
		{"cpu 1h nan", CHART_EINVAL, "Invalid limit: nan", "Неверный предел: nan"},
		{"cpu 1h inf", CHART_EINVAL, "Invalid limit: inf", "Неверный предел: inf"},
		{"cpu;ram;gpu;vram;swap;net;cpu_temp 1h", CHART_EUNITS, "Metric units do not match",
		 "Единицы метрик не совпадают"},
	};
	struct chart_plot p;
	char err[160];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse(t[i].line, CHART_EN, &p, err, sizeof(err)), t[i].rc);
		assert_string_equal(err, t[i].en);
		assert_int_equal(parse(t[i].line, CHART_RU, &p, err, sizeof(err)), t[i].rc);
		assert_string_equal(err, t[i].ru);
	}
	/* a small buffer truncates, never overflows */
	char small[8];
	assert_int_equal(parse("cpu;net 1h", CHART_EN, &p, small, sizeof(small)), CHART_EUNITS);
	assert_string_equal(small, "Metric ");
}

static void test_spans(void **state)
{
	assert_int_equal(chart_parse_span("30s"), 30);
	assert_int_equal(chart_parse_span("15M"), 900);
	assert_int_equal(chart_parse_span("3h"), 10800);
	assert_int_equal(chart_parse_span("2d"), 172800);
	assert_int_equal(chart_parse_span("1d12h30m"), 86400 + 12 * 3600 + 1800);
	assert_int_equal(chart_parse_span("366d"), 366 * 86400);
	assert_int_equal(chart_parse_span("367d"), -1);
	assert_int_equal(chart_parse_span("0s"), -1);
	assert_int_equal(chart_parse_span(""), -1);
	assert_int_equal(chart_parse_span(NULL), -1);
	assert_int_equal(chart_parse_span("h"), -1);
	assert_int_equal(chart_parse_span("10"), -1);
	assert_int_equal(chart_parse_span("10x"), -1);
	assert_int_equal(chart_parse_span("-5m"), -1);
	assert_int_equal(chart_parse_span("5m "), -1);
}

static void test_metric_names(void **state)
{
	for (int m = 0; m < CHART_M_COUNT; m++)
		assert_int_equal(chart_metric_from_name(chart_metric_name((enum chart_metric)m)), m);
	assert_int_equal(chart_metric_from_name("NET_UP"), CHART_M_NET_UP);
	assert_int_equal(chart_metric_from_name("net"), -1);
	assert_string_equal(chart_metric_name(CHART_M_VRAM_USED), "vram_used");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_cases),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_metric_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
