/* Unit tests for server/bot/alerts_sm.c: the exact transitions of one rule
 * (for=, hyst=, the 5-minute cooldown, reminders, mutes, unknown while the
 * host is down and what follows it), a host's evaluation (a host going
 * down gives one message: its offline rule's), and argument parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/bot/alerts_sm.h"
#include "wire/sample.h"

static struct store_alert rule(const char *metric, double thr)
{
	struct store_alert a;
	memset(&a, 0, sizeof(a));
	a.user = 7;
	snprintf(a.secret, sizeof(a.secret), "k");
	snprintf(a.metric, sizeof(a.metric), "%s", metric);
	a.threshold = thr;
	return a;
}

static enum al_event step(struct store_alert *a, double v, int64_t now)
{
	int changed = 0;
	return al_step(a, v, now, 0, &changed);
}

static void test_fire_once_recover_once(void **state)
{
	struct store_alert a = rule("cpu", 90);
	int changed = 0;
	(void)state;
	assert_int_equal(al_step(&a, 50, 1000, 0, &changed), AL_EV_NONE);
	assert_int_equal(changed, 0);
	assert_int_equal(al_step(&a, 90, 1005, 0, &changed), AL_EV_FIRE); /* reaching it fires */
	assert_int_equal(changed, 1);
	assert_int_equal(a.state, STORE_AL_FIRING);
	assert_int_equal(a.since, 1005);
	assert_int_equal(a.last_sent, 1005);
	assert_true(al_announced(&a));
	for (int64_t t = 1010; t < 2000; t += 5)
		assert_int_equal(step(&a, 99, t), AL_EV_NONE); /* no repeats without remind= */
	assert_int_equal(step(&a, 89.9, 2000), AL_EV_RECOVER);
	assert_int_equal(a.state, STORE_AL_OK);
	assert_int_equal(a.since, 2000);
	assert_int_equal(step(&a, 10, 2005), AL_EV_NONE);
	assert_int_equal(step(&a, NAN, 2010), AL_EV_NONE); /* absent metric: nothing */
	assert_int_equal(a.state, STORE_AL_OK);
}

static void test_cooldown(void **state)
{
	struct store_alert a = rule("ram", 80);
	(void)state;
	assert_int_equal(step(&a, 85, 1000), AL_EV_FIRE);
	assert_int_equal(step(&a, 70, 1060), AL_EV_RECOVER);
	/* fires again 2 min after the message: firing, but silent */
	assert_int_equal(step(&a, 85, 1120), AL_EV_NONE);
	assert_int_equal(a.state, STORE_AL_FIRING);
	assert_false(al_announced(&a));
	/* an unannounced episode recovers silently */
	assert_int_equal(step(&a, 70, 1180), AL_EV_NONE);
	assert_int_equal(a.state, STORE_AL_OK);
	assert_int_equal(step(&a, 85, 1200), AL_EV_NONE);
	assert_int_equal(step(&a, 85, 1299), AL_EV_NONE);
	/* still firing when the cooldown ends: announced then, once */
	assert_int_equal(step(&a, 85, 1300), AL_EV_FIRE);
	assert_int_equal(a.last_sent, 1300);
	assert_int_equal(a.since, 1200);
	assert_int_equal(step(&a, 85, 1400), AL_EV_NONE);
	assert_int_equal(step(&a, 10, 1410), AL_EV_RECOVER);
}

static void test_for(void **state)
{
	struct store_alert a = rule("gpu", 50);
	(void)state;
	a.for_s = 60;
	assert_int_equal(step(&a, 60, 1000), AL_EV_NONE);
	assert_int_equal(a.state, STORE_AL_PENDING);
	assert_int_equal(a.since, 1000);
	assert_int_equal(step(&a, 60, 1059), AL_EV_NONE);
	assert_int_equal(a.state, STORE_AL_PENDING);
	/* a dip below the threshold starts it over */
	assert_int_equal(step(&a, 49, 1050 + 10), AL_EV_NONE);
	assert_int_equal(a.state, STORE_AL_OK);
	assert_int_equal(step(&a, 70, 1100), AL_EV_NONE);
	assert_int_equal(a.since, 1100);
	assert_int_equal(step(&a, 70, 1159), AL_EV_NONE);
	assert_int_equal(step(&a, 70, 1160), AL_EV_FIRE);
	assert_int_equal(a.state, STORE_AL_FIRING);
	assert_int_equal(a.since, 1160);
}

static void test_hyst(void **state)
{
	struct store_alert a = rule("cpu", 90);
	(void)state;
	a.hyst = 5;
	assert_int_equal(step(&a, 95, 1000), AL_EV_FIRE);
	assert_int_equal(step(&a, 89, 1010), AL_EV_NONE); /* in the band: still firing */
	assert_int_equal(step(&a, 85, 1020), AL_EV_NONE); /* 85 is not below 90 - 5 */
	assert_int_equal(a.state, STORE_AL_FIRING);
	assert_int_equal(step(&a, 84.9, 1030), AL_EV_RECOVER);
	/* fires again only at the threshold itself */
	assert_int_equal(step(&a, 89, 1400), AL_EV_NONE);
	assert_int_equal(a.state, STORE_AL_OK);
	assert_int_equal(step(&a, 90, 1410), AL_EV_FIRE);
}

static void test_remind(void **state)
{
	struct store_alert a = rule("vram", 90);
	(void)state;
	a.remind_s = 600;
	assert_int_equal(step(&a, 95, 1000), AL_EV_FIRE);
	assert_int_equal(step(&a, 95, 1599), AL_EV_NONE);
	assert_int_equal(step(&a, 95, 1600), AL_EV_REMIND);
	assert_int_equal(a.last_sent, 1600);
	assert_int_equal(step(&a, 95, 2199), AL_EV_NONE);
	assert_int_equal(step(&a, 95, 2200), AL_EV_REMIND);
	assert_int_equal(a.since, 1000);
	assert_int_equal(step(&a, 5, 2210), AL_EV_RECOVER);
}

static void test_mute(void **state)
{
	struct store_alert a = rule("cpu", 90);
	int changed = 0;
	(void)state;
	a.remind_s = 300;
	assert_int_equal(step(&a, 95, 1000), AL_EV_FIRE);
	a.muted_until = 1000 + 3600; /* the "mute 1 h" button */
	assert_int_equal(step(&a, 95, 1300), AL_EV_NONE); /* no reminder while muted */
	assert_int_equal(step(&a, 10, 1400), AL_EV_NONE); /* nor a recovery */
	assert_int_equal(a.state, STORE_AL_OK);
	assert_int_equal(step(&a, 95, 2000), AL_EV_NONE); /* nor a firing message */
	assert_int_equal(a.state, STORE_AL_FIRING);
	/* the mute expires: the episode gets its message */
	assert_int_equal(al_step(&a, 95, 4600, 0, &changed), AL_EV_FIRE);
	assert_int_equal(a.muted_until, 0);
	assert_int_equal(changed, 1);
	/* "until recovered": no reminders, the one recovery message, mute gone */
	a.muted_until = -1;
	assert_int_equal(step(&a, 95, 5000), AL_EV_NONE);
	assert_int_equal(step(&a, 95, 9000), AL_EV_NONE);
	assert_int_equal(step(&a, 10, 9010), AL_EV_RECOVER);
	assert_int_equal(a.muted_until, 0);
	assert_int_equal(step(&a, 95, 9400), AL_EV_FIRE);
}

static void test_quiet(void **state)
{
	struct store_alert a = rule("cpu", 90);
	int changed = 0;
	(void)state;
	/* maintenance: the state follows, nothing is sent */
	assert_int_equal(al_step(&a, 95, 1000, 1, &changed), AL_EV_NONE);
	assert_int_equal(a.state, STORE_AL_FIRING);
	assert_int_equal(al_step(&a, 10, 1100, 1, &changed), AL_EV_NONE);
	assert_int_equal(a.state, STORE_AL_OK);
	assert_int_equal(al_step(&a, 95, 1200, 1, &changed), AL_EV_NONE);
	/* maintenance over, still firing: announced */
	assert_int_equal(al_step(&a, 95, 1210, 0, &changed), AL_EV_FIRE);
}

static void test_unknown(void **state)
{
	struct store_alert a = rule("cpu", 90), b = rule("ram", 90), c = rule("gpu", 50);
	(void)state;
	/* announced firing, host gone: unknown keeps the episode */
	assert_int_equal(step(&a, 95, 1000), AL_EV_FIRE);
	assert_int_equal(al_to_unknown(&a, 1100), 1);
	assert_int_equal(a.state, STORE_AL_UNKNOWN);
	assert_int_equal(al_to_unknown(&a, 1110), 0);
	assert_int_equal(step(&a, NAN, 5000), AL_EV_NONE);
	/* back and still high: the same episode, no second message */
	assert_int_equal(step(&a, 95, 5000), AL_EV_NONE);
	assert_int_equal(a.state, STORE_AL_FIRING);
	assert_int_equal(a.since, 1000);
	/* back and fine: one recovery for the message sent before */
	assert_int_equal(al_to_unknown(&a, 5100), 1);
	assert_int_equal(step(&a, 10, 9000), AL_EV_RECOVER);
	/* ok → unknown → back high: fires as new */
	assert_int_equal(al_to_unknown(&b, 1000), 1);
	assert_false(al_announced(&b));
	assert_int_equal(step(&b, 95, 2000), AL_EV_FIRE);
	/* unknown in the very second of a recovery is not "announced" */
	assert_int_equal(step(&b, 10, 2000), AL_EV_RECOVER);
	assert_int_equal(al_to_unknown(&b, 2000), 1);
	assert_int_equal(b.since, 2001);
	assert_false(al_announced(&b));
	assert_int_equal(step(&b, 10, 2020), AL_EV_NONE);
	assert_int_equal(b.state, STORE_AL_OK);
	/* pending → unknown: for= starts over */
	c.for_s = 30;
	assert_int_equal(step(&c, 60, 1000), AL_EV_NONE);
	assert_int_equal(al_to_unknown(&c, 1020), 1);
	assert_int_equal(step(&c, 60, 1040), AL_EV_NONE);
	assert_int_equal(c.state, STORE_AL_PENDING);
	assert_int_equal(c.since, 1040);
}

static void test_offline_rule(void **state)
{
	struct store_alert a = rule("offline", 60);
	(void)state;
	assert_int_equal(step(&a, 5, 1000), AL_EV_NONE);
	assert_int_equal(step(&a, 59, 1054), AL_EV_NONE);
	assert_int_equal(step(&a, 60, 1055), AL_EV_FIRE);
	for (int64_t t = 1056; t < 1200; t++)
		assert_int_equal(step(&a, (double)(t - 995), t), AL_EV_NONE);
	assert_int_equal(step(&a, 0, 1200), AL_EV_RECOVER); /* a sample arrived */
	assert_int_equal(al_to_unknown(&a, 1300), 1);  /* (never called for offline rules) */
}

static void test_storm(void **state)
{
	struct store_alert r[4];
	enum al_event ev[4];
	int ch[4];
	double v[SK__COUNT];
	struct al_host_in in = {.now = 1000, .v = v, .disk_pct = 95, .offline_s = 0};
	(void)state;
	r[0] = rule("cpu", 50);
	r[1] = rule("ram", 50);
	r[2] = rule("disk", 90);
	r[3] = rule("offline", 30);
	for (int i = 0; i < SK__COUNT; i++)
		v[i] = NAN;
	v[SK_CPU] = 80;
	v[SK_RAM] = 80;
	/* three metrics fire in one sample: three events, one evaluation */
	al_eval_host(r, 4, &in, ev, ch);
	assert_int_equal(ev[0], AL_EV_FIRE);
	assert_int_equal(ev[1], AL_EV_FIRE);
	assert_int_equal(ev[2], AL_EV_FIRE);
	assert_int_equal(ev[3], AL_EV_NONE);
	/* the host goes away: the metric rules go unknown silently... */
	in.now = 1010;
	in.down = 1;
	in.v = NULL;
	in.offline_s = 10;
	al_eval_host(r, 4, &in, ev, ch);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ev[i], AL_EV_NONE);
	assert_int_equal(ch[0] + ch[1] + ch[2], 3);
	assert_int_equal(r[0].state, STORE_AL_UNKNOWN);
	assert_int_equal(r[2].state, STORE_AL_UNKNOWN);
	/* ...and the incident is one message: the offline rule's */
	int fired = 0;
	for (int64_t t = 1011; t <= 1400; t++) {
		in.now = t;
		in.offline_s = (double)(t - 1000);
		al_eval_host(r, 4, &in, ev, ch);
		for (int i = 0; i < 4; i++)
			fired += ev[i] != AL_EV_NONE;
	}
	assert_int_equal(fired, 1);
	assert_int_equal(r[3].state, STORE_AL_FIRING);
	assert_int_equal(r[3].last_sent, 1030);
	/* back: the offline rule and the metrics that were announced recover in
	 * the same evaluation (alerts.c words them as one message) */
	v[SK_CPU] = 10;
	v[SK_RAM] = 80;
	in.now = 1500;
	in.down = 0;
	in.v = v;
	in.disk_pct = 50;
	in.offline_s = 0;
	al_eval_host(r, 4, &in, ev, ch);
	assert_int_equal(ev[0], AL_EV_RECOVER);
	assert_int_equal(ev[1], AL_EV_NONE); /* still high: same episode */
	assert_int_equal(ev[2], AL_EV_RECOVER);
	assert_int_equal(ev[3], AL_EV_RECOVER);
	/* quiet (maintenance): nothing at all, states still follow */
	in.now = 2000;
	in.quiet = 1;
	in.down = 1;
	in.v = NULL;
	for (int64_t t = 2000; t < 2300; t++) {
		in.now = t;
		in.offline_s = (double)(t - 1500);
		al_eval_host(r, 4, &in, ev, ch);
		for (int i = 0; i < 4; i++)
			assert_int_equal(ev[i], AL_EV_NONE);
	}
	assert_int_equal(r[3].state, STORE_AL_FIRING);
}

static void test_duration(void **state)
{
	int64_t d = 0;
	char buf[32];
	(void)state;
	assert_int_equal(al_parse_duration("90", &d), 0);
	assert_int_equal(d, 90);
	assert_int_equal(al_parse_duration("30s", &d), 0);
	assert_int_equal(d, 30);
	assert_int_equal(al_parse_duration("15m", &d), 0);
	assert_int_equal(d, 900);
	assert_int_equal(al_parse_duration("2h", &d), 0);
	assert_int_equal(d, 7200);
	assert_int_equal(al_parse_duration("1d", &d), 0);
	assert_int_equal(d, 86400);
	assert_int_equal(al_parse_duration("1h30m", &d), 0);
	assert_int_equal(d, 5400);
	assert_int_equal(al_parse_duration("2H", &d), 0);
	assert_int_equal(d, 7200);
	assert_int_equal(al_parse_duration("", &d), -1);
	assert_int_equal(al_parse_duration("0", &d), -1);
	assert_int_equal(al_parse_duration("h", &d), -1);
	assert_int_equal(al_parse_duration("5x", &d), -1);
	assert_int_equal(al_parse_duration("1h30", &d), -1);
	assert_int_equal(al_parse_duration("-5m", &d), -1);
	assert_int_equal(al_parse_duration("31d", &d), -1);
	assert_int_equal(al_parse_duration("99999999999999999999", &d), -1);
	al_fmt_duration(5400, buf, sizeof(buf));
	assert_string_equal(buf, "1h30m");
	al_fmt_duration(45, buf, sizeof(buf));
	assert_string_equal(buf, "45s");
	al_fmt_duration(2 * 86400 + 61, buf, sizeof(buf));
	assert_string_equal(buf, "2d1m1s");
	al_fmt_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
}

static enum al_perr parse(const char *line, struct store_alert *a)
{
	static char copy[256];
	char *argv[16];
	int argc = 0;
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok(copy, " "); t && argc < 16; t = strtok(NULL, " "))
		argv[argc++] = t;
	memset(a, 0, sizeof(*a));
	return al_parse_rule(argc, argv, a);
}

static void test_parse_rule(void **state)
{
	struct store_alert a;
	(void)state;
	assert_int_equal(parse("CPU 90", &a), AL_PE_OK);
	assert_string_equal(a.metric, "cpu");
	assert_true(a.threshold == 90);
	assert_int_equal(parse("cpu 0", &a), AL_PE_OK);
	assert_int_equal(parse("ram 95% for=2m hyst=5 remind=1h", &a), AL_PE_OK);
	assert_true(a.threshold == 95);
	assert_int_equal(a.for_s, 120);
	assert_true(a.hyst == 5);
	assert_int_equal(a.remind_s, 3600);
	assert_int_equal(parse("disk 90", &a), AL_PE_OK);
	assert_int_equal(parse("cpu_temp 85.5", &a), AL_PE_OK);
	assert_true(a.threshold == 85.5);
	assert_int_equal(parse("offline 2m", &a), AL_PE_OK);
	assert_true(a.threshold == 120);
	assert_int_equal(parse("offline 300", &a), AL_PE_OK);
	assert_true(a.threshold == 300);
	assert_int_equal(parse("cpu", &a), AL_PE_USAGE);
	assert_int_equal(parse("load 5", &a), AL_PE_METRIC);
	assert_int_equal(parse("swap 5", &a), AL_PE_METRIC);
	assert_int_equal(parse("a_very_long_metric_name 5", &a), AL_PE_METRIC);
	assert_int_equal(parse("cpu abc", &a), AL_PE_NUMBER);
	assert_int_equal(parse("cpu nan", &a), AL_PE_NUMBER);
	assert_int_equal(parse("cpu 101", &a), AL_PE_RANGE);
	assert_int_equal(parse("cpu -1", &a), AL_PE_RANGE);
	assert_int_equal(parse("gpu_temp 151", &a), AL_PE_RANGE);
	assert_int_equal(parse("offline 5", &a), AL_PE_RANGE);
	assert_int_equal(parse("offline 2x", &a), AL_PE_NUMBER);
	assert_int_equal(parse("cpu 90 for=soon", &a), AL_PE_DURATION);
	assert_int_equal(parse("cpu 90 remind=1m", &a), AL_PE_DURATION); /* under the cooldown */
	assert_int_equal(parse("cpu 90 hyst=-1", &a), AL_PE_HYST);
	assert_int_equal(parse("cpu 5 hyst=10", &a), AL_PE_HYST);
	assert_int_equal(parse("cpu 90 every=5", &a), AL_PE_OPTION);
}

static void test_values(void **state)
{
	double v[SK__COUNT];
	(void)state;
	for (int i = 0; i < SK__COUNT; i++)
		v[i] = i;
	assert_true(al_metric_value("cpu", v, 7) == SK_CPU);
	assert_true(al_metric_value("vram", v, 7) == SK_VRAM);
	assert_true(al_metric_value("gpu_temp", v, 7) == SK_GPU_TEMP);
	assert_true(al_metric_value("disk", v, 7) == 7);
	assert_true(isnan(al_metric_value("offline", v, 7)));
	assert_true(isnan(al_metric_value("nope", v, 7)));
	assert_int_equal(al_metric_kind("offline"), AL_K_OFFLINE);
	assert_int_equal(al_metric_kind("cpu_temp"), AL_K_TEMP);
	assert_int_equal(al_metric_kind("disk"), AL_K_PCT);
	assert_int_equal(al_metric_kind("x"), AL_K_NONE);
}

/* Fleet rules (alerts_sm.h): taken by /setalert, left alone by the state
 * machine (server/bot/fleet.c evaluates them). */
static void test_fleet_rules(void **st)
{
	struct store_alert a;
	struct al_host_in in = { .now = 1000, .disk_pct = NAN };
	double v[SK__COUNT];
	enum al_event ev;
	int changed;
	(void)st;
	assert_int_equal(parse("container 3", &a), AL_PE_OK);
	assert_string_equal(a.metric, "container");
	assert_true(a.threshold == 3);
	assert_int_equal(parse("Container", &a), AL_PE_USAGE);
	assert_int_equal(parse("container 1001", &a), AL_PE_RANGE);
	assert_int_equal(parse("container 3 for=1m", &a), AL_PE_OPTION);
	assert_int_equal(parse("unit", &a), AL_PE_OK);
	assert_true(a.threshold == 0);
	assert_int_equal(parse("unit 5", &a), AL_PE_OPTION);
	assert_int_equal(parse("smart", &a), AL_PE_OK);
	assert_int_equal(parse("ups_battery", &a), AL_PE_OK);
	assert_int_equal(parse("ups_charge 20", &a), AL_PE_OK);
	assert_int_equal(parse("ups_charge 150", &a), AL_PE_RANGE);
	assert_int_equal(parse("quota 5", &a), AL_PE_METRIC);
	assert_int_equal(al_metric_kind("quota"), AL_K_FLEET);
	/* the state machine steps none of them, even with a sample or the host down */
	for (int i = 0; i < SK__COUNT; i++)
		v[i] = 50;
	assert_int_equal(parse("ups_charge 20", &a), AL_PE_OK);
	in.v = v;
	al_eval_host(&a, 1, &in, &ev, &changed);
	assert_int_equal(ev, AL_EV_NONE);
	assert_int_equal(changed, 0);
	in.down = 1;
	al_eval_host(&a, 1, &in, &ev, &changed);
	assert_int_equal(changed, 0);
	assert_int_equal(a.state, STORE_AL_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fire_once_recover_once), cmocka_unit_test(test_cooldown),
		cmocka_unit_test(test_for),      cmocka_unit_test(test_hyst),
		cmocka_unit_test(test_remind),   cmocka_unit_test(test_mute),
		cmocka_unit_test(test_quiet),    cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_offline_rule), cmocka_unit_test(test_storm),
		cmocka_unit_test(test_duration), cmocka_unit_test(test_parse_rule),
		cmocka_unit_test(test_values), cmocka_unit_test(test_fleet_rules),
	};
	return cmocka_run_group_tests_name("alerts", tests, NULL, NULL);
}
