/* alerts_txt.c — the wording of alert messages, in English and Russian
 * (BOT_T): metric names, values, thresholds, the lines of firing, reminder
 * and recovery messages, the rule in a sentence, the usage text. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/bot/alerts_int.h"

int al_label(struct bot *b, const char *secret, char *out, size_t cap)
{
	struct store_key k;
	char raw[STORE_NAME_MAX + 16];
	int rc = store_key_get(b->st, secret, &k);
	if (rc == STORE_ENOKEY || rc == STORE_ENOTFOUND)
		return -1;
	if (rc == STORE_OK) {
		bot_key_label(&k, raw, sizeof(raw));
		store_key_free(&k);
	} else { /* database down: the message still goes out */
		snprintf(raw, sizeof(raw), "%.6s…", secret);
	}
	bot_esc(raw, out, cap);
	return 0;
}

void al_fmt_time(int64_t t, int64_t now, char *out, size_t cap)
{
	time_t tt = (time_t)t, tn = (time_t)now;
	struct tm a, c;
	localtime_r(&tt, &a);
	localtime_r(&tn, &c);
	if (a.tm_year == c.tm_year && a.tm_yday == c.tm_yday)
		strftime(out, cap, "%H:%M", &a);
	else
		strftime(out, cap, "%d.%m %H:%M", &a);
}

const char *al_metric_label(struct bot *b, const char *metric)
{
	if (!strcmp(metric, "cpu"))
		return "CPU";
	if (!strcmp(metric, "ram"))
		return "RAM";
	if (!strcmp(metric, "gpu"))
		return "GPU";
	if (!strcmp(metric, "vram"))
		return "VRAM";
	if (!strcmp(metric, "disk"))
		return BOT_T(b, "Disk", "Диск");
	if (!strcmp(metric, "cpu_temp"))
		return BOT_T(b, "CPU temp", "Темп. CPU");
	if (!strcmp(metric, "gpu_temp"))
		return BOT_T(b, "GPU temp", "Темп. GPU");
	if (!strcmp(metric, "offline"))
		return BOT_T(b, "Offline", "Нет связи");
	if (!strcmp(metric, "container"))
		return BOT_T(b, "Containers", "Контейнеры");
	if (!strcmp(metric, "unit"))
		return BOT_T(b, "Failed units", "Упавшие юниты");
	if (!strcmp(metric, "smart"))
		return BOT_T(b, "Disk health", "Здоровье дисков");
	if (!strcmp(metric, "ups_battery"))
		return BOT_T(b, "UPS on battery", "ИБП на батарее");
	if (!strcmp(metric, "ups_charge"))
		return BOT_T(b, "UPS charge", "Заряд ИБП");
	if (!strcmp(metric, "quota"))
		return BOT_T(b, "Traffic quota", "Квота трафика");
	return metric;
}

static void fmt_value(const struct store_alert *a, double v, char *out, size_t cap)
{
	switch (al_metric_kind(a->metric)) {
	case AL_K_TEMP:
		snprintf(out, cap, "%.0f °C", v);
		break;
	case AL_K_OFFLINE:
		al_fmt_duration(isfinite(v) ? (int64_t)v : 0, out, cap);
		break;
	default:
		snprintf(out, cap, "%.1f%%", v);
		break;
	}
}

void al_fmt_threshold(const struct store_alert *a, char *out, size_t cap)
{
	switch (al_metric_kind(a->metric)) {
	case AL_K_TEMP:
		snprintf(out, cap, "≥ %g °C", a->threshold);
		break;
	case AL_K_OFFLINE: {
		char d[24];
		al_fmt_duration((int64_t)a->threshold, d, sizeof(d));
		snprintf(out, cap, "≥ %s", d);
		break;
	}
	default:
		snprintf(out, cap, "≥ %g%%", a->threshold);
		break;
	}
}

static void offline_item(struct bot *b, struct bot_buf *o, enum al_event ev, const char *val,
                         int with_name, const char *label)
{
	if (ev == AL_EV_RECOVER) {
		if (with_name)
			bot_buf_addf(o, BOT_T(b, "✅ <b>%s</b> is back online (no data for %s).",
			                      "✅ <b>%s</b> снова в сети (данных не было %s)."),
			             label, val);
		else
			bot_buf_addf(o, BOT_T(b, "✅ back online (no data for %s)",
			                      "✅ снова в сети (данных не было %s)"), val);
	} else if (ev == AL_EV_REMIND) {
		if (with_name)
			bot_buf_addf(o, BOT_T(b, "🔁 <b>%s</b> is still offline: no data for %s.",
			                      "🔁 <b>%s</b> всё ещё не в сети: нет данных %s."),
			             label, val);
		else
			bot_buf_addf(o, BOT_T(b, "🔁 still offline: no data for %s",
			                      "🔁 всё ещё не в сети: нет данных %s"), val);
	} else {
		if (with_name)
			bot_buf_addf(o, BOT_T(b, "🔴 <b>%s</b> is offline: no data for %s.",
			                      "🔴 <b>%s</b> не в сети: нет данных %s."),
			             label, val);
		else
			bot_buf_addf(o, BOT_T(b, "🔴 offline: no data for %s", "🔴 не в сети: нет данных %s"),
			             val);
	}
}

void al_item(struct bot *b, struct bot_buf *o, const struct store_alert *a, enum al_event ev,
             double value, int64_t now, int with_name, const char *label)
{
	char val[32], thr[48], since[32], d[24];
	fmt_value(a, value, val, sizeof(val));
	if (al_metric_kind(a->metric) == AL_K_OFFLINE) {
		offline_item(b, o, ev, val, with_name, label);
		return;
	}
	al_fmt_threshold(a, thr, sizeof(thr));
	al_fmt_time(a->since, now, since, sizeof(since));
	switch (ev) {
	case AL_EV_RECOVER:
		bot_buf_addf(o, "✅ ");
		if (with_name)
			bot_buf_addf(o, "<b>%s</b>: ", label);
		bot_buf_addf(o, BOT_T(b, "%s back to %s (was %s since %s)", "%s снова %s (было %s с %s)"),
		             al_metric_label(b, a->metric), val, thr, since);
		break;
	case AL_EV_REMIND:
		bot_buf_addf(o, "🔁 ");
		if (with_name)
			bot_buf_addf(o, "<b>%s</b>: ", label);
		bot_buf_addf(o, BOT_T(b, "%s still %s %s (since %s)", "%s всё ещё %s %s (с %s)"),
		             al_metric_label(b, a->metric), val, thr, since);
		break;
	default:
		bot_buf_addf(o, "🔴 ");
		if (with_name)
			bot_buf_addf(o, "<b>%s</b>: ", label);
		bot_buf_addf(o, "%s %s %s", al_metric_label(b, a->metric), val, thr);
		if (a->for_s > 0) {
			al_fmt_duration(a->for_s, d, sizeof(d));
			bot_buf_addf(o, BOT_T(b, " for %s", " дольше %s"), d);
		}
		break;
	}
}

static void fleet_describe(struct bot *b, struct bot_buf *o, const struct store_alert *a)
{
	if (!strcmp(a->metric, "container"))
		bot_buf_addf(o, BOT_T(b, "a container stops, turns unhealthy or restarts more than %g times in 10 min",
		                      "контейнер остановился, нездоров или перезапускался больше %g раз за 10 мин"),
		             a->threshold);
	else if (!strcmp(a->metric, "unit"))
		bot_buf_add(o, BOT_T(b, "a systemd unit fails", "юнит systemd упал"));
	else if (!strcmp(a->metric, "smart"))
		bot_buf_add(o, BOT_T(b, "a disk's SMART health fails or an attribute passes its threshold",
		                     "SMART диска: отказ или атрибут за порогом"));
	else if (!strcmp(a->metric, "ups_battery"))
		bot_buf_add(o, BOT_T(b, "the UPS goes on battery", "ИБП перешёл на батарею"));
	else if (!strcmp(a->metric, "ups_charge"))
		bot_buf_addf(o, BOT_T(b, "UPS charge below %g%%", "заряд ИБП ниже %g%%"), a->threshold);
	else if (!strcmp(a->metric, "quota"))
		bot_buf_addf(o, BOT_T(b, "traffic over %g GB per period from day %d",
		                      "трафик больше %g ГБ за период с %d-го числа"),
		             a->threshold, a->for_s);
}

void al_describe_rule(struct bot *b, struct bot_buf *o, const struct store_alert *a)
{
	char thr[48], d[24];
	if (al_metric_kind(a->metric) == AL_K_FLEET) {
		fleet_describe(b, o, a);
		return;
	}
	al_fmt_threshold(a, thr, sizeof(thr));
	if (al_metric_kind(a->metric) == AL_K_OFFLINE)
		bot_buf_addf(o, BOT_T(b, "no data %s", "нет данных %s"), thr);
	else
		bot_buf_addf(o, "%s %s", al_metric_label(b, a->metric), thr);
	if (a->for_s > 0) {
		al_fmt_duration(a->for_s, d, sizeof(d));
		bot_buf_addf(o, BOT_T(b, " for %s", " дольше %s"), d);
	}
	if (a->hyst > 0)
		bot_buf_addf(o, BOT_T(b, ", recovers below %g", ", восстановление ниже %g"),
		             a->threshold - a->hyst);
	if (a->remind_s > 0) {
		al_fmt_duration(a->remind_s, d, sizeof(d));
		bot_buf_addf(o, BOT_T(b, ", reminder every %s", ", напоминание каждые %s"), d);
	}
}

void al_usage(struct bot *b, struct bot_buf *o)
{
	bot_buf_add(o, BOT_T(b,
		"Usage: /setalert &lt;key or name&gt; &lt;metric&gt; &lt;threshold&gt; [for=&lt;duration&gt;] "
		"[hyst=&lt;points&gt;] [remind=&lt;duration&gt;]\n"
		"Metrics: cpu, ram, gpu, vram, disk (percent, 0–100), cpu_temp, gpu_temp (°C), "
		"offline (time without data: 90, 5m, 1h; at least 10 s).\n"
		"It fires when the value reaches the threshold (at most once per 5 minutes). "
		"for=2m: only after 2 minutes over it; hyst=5: recovers only 5 points below; "
		"remind=1h: repeats while it lasts (at least 5m).\n"
		"Example: <code>/setalert web1 cpu 90 for=2m hyst=5</code>\n"
		"Fleet: container &lt;N&gt; (a container stops, turns unhealthy or restarts more than N "
		"times in 10 min), unit (a systemd unit fails), smart (disk health), ups_battery, "
		"ups_charge &lt;percent&gt; (below it); traffic: /setquota.",
		"Синтаксис: /setalert &lt;ключ или имя&gt; &lt;метрика&gt; &lt;порог&gt; [for=&lt;время&gt;] "
		"[hyst=&lt;пункты&gt;] [remind=&lt;время&gt;]\n"
		"Метрики: cpu, ram, gpu, vram, disk (проценты, 0–100), cpu_temp, gpu_temp (°C), "
		"offline (время без данных: 90, 5m, 1h; не меньше 10 с).\n"
		"Срабатывает, когда значение достигает порога (не чаще раза в 5 минут). "
		"for=2m: только после 2 минут выше порога; hyst=5: восстановление на 5 пунктов ниже; "
		"remind=1h: повтор, пока длится (не меньше 5m).\n"
		"Пример: <code>/setalert web1 cpu 90 for=2m hyst=5</code>\n"
		"Парк: container &lt;N&gt; (контейнер остановился, нездоров или перезапускался больше N "
		"раз за 10 мин), unit (упал юнит systemd), smart (здоровье дисков), ups_battery, "
		"ups_charge &lt;проценты&gt; (ниже него); трафик: /setquota."));
}
