/* render_cmd.c — what asks for charts: the status message's chart buttons
 * and their range keyboard, /plot (SPEC §7), the stability test's chart,
 * and the captions. Everything here runs on the bot thread; the rendering
 * itself is queued to the workers of render.c.
 *
 * callback_data (≤ 64 bytes with a 20-character secret):
 *   ch:<chart>:<secret>          chart button -> the range keyboard
 *   cr:<chart>:<range>:<secret>  a range -> the photo
 * chart: all cpu ram gpu vram net; range: 10m 1h 24h 7d. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/bot/render_int.h"
#include "server/log.h"

/* "Back": the status message's own keyboard again (actions.c). */
#define BACK_FMT "bk:%s"

static const struct chart_btn {
	const char *tok;
	enum chart_kind kind;
	enum chart_metric metric;
	const char *en, *ru;
} chart_btns[] = {
	{ "all", CHART_K_ALL, CHART_M_CPU, "All metrics", "Все метрики" },
	{ "cpu", CHART_K_METRIC, CHART_M_CPU, "CPU", "CPU" },
	{ "ram", CHART_K_METRIC, CHART_M_RAM, "RAM", "RAM" },
	{ "gpu", CHART_K_METRIC, CHART_M_GPU, "GPU", "GPU" },
	{ "vram", CHART_K_METRIC, CHART_M_VRAM, "VRAM", "VRAM" },
	{ "net", CHART_K_NET, CHART_M_NET_UP, "Net", "Сеть" },
};

static const struct range_btn {
	const char *tok;
	int64_t seconds;
	const char *en, *ru;
} range_btns[] = {
	{ "10m", 600, "10 min", "10 мин" },
	{ "1h", 3600, "1 h", "1 ч" },
	{ "24h", 86400, "24 h", "24 ч" },
	{ "7d", 7 * 86400, "7 d", "7 д" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct chart_btn *chart_btn_find(const char *tok)
{
	size_t i;

	for (i = 0; i < NELEM(chart_btns); i++)
		if (strcmp(chart_btns[i].tok, tok) == 0)
			return &chart_btns[i];
	return NULL;
}

static const struct range_btn *range_btn_find(const char *tok)
{
	size_t i;

	for (i = 0; i < NELEM(range_btns); i++)
		if (strcmp(range_btns[i].tok, tok) == 0)
			return &range_btns[i];
	return NULL;
}

/* "1 d 12 h", "10 min", "1 д 12 ч". */
static void span_label(int64_t s, enum chart_lang lang, char *out, size_t cap)
{
	static const int64_t unit_s[] = { 86400, 3600, 60, 1 };
	static const char *const names[2][4] = { { "d", "h", "min", "s" }, { "д", "ч", "мин", "с" } };
	size_t len = 0, i;

	out[0] = 0;
	for (i = 0; i < 4 && len < cap; i++) {
		int64_t v = s / unit_s[i];
		if (!v)
			continue;
		s %= unit_s[i];
		len += (size_t)snprintf(out + len, cap - len, "%s%lld %s", len ? " " : "", (long long)v,
		                        names[lang == CHART_RU][i]);
	}
}

/* The key's label for titles and captions. */
static void job_host(struct bot *b, struct render_job *j)
{
	struct store_key k;

	memset(&k, 0, sizeof(k));
	if (store_key_get(b->st, j->secret, &k) == STORE_OK) {
		bot_key_label(&k, j->host, sizeof(j->host));
		store_key_free(&k);
	} else {
		snprintf(j->host, sizeof(j->host), "%.6s…", j->secret);
	}
}

void render_caption(struct bot *b, const struct render_job *j, char *out, size_t cap)
{
	char host[4 * sizeof(j->host)], what[4 * sizeof(j->what)];

	bot_esc(j->host, host, sizeof(host));
	bot_esc(j->what, what, sizeof(what));
	if (j->kind != CHART_K_STABILITY) {
		snprintf(out, cap, BOT_T(b, "<b>%s</b>: %s, last %s", "<b>%s</b>: %s за %s"), host, what,
		         j->span_label);
		return;
	}
	/* the numbers are in the report message (actions.c) */
	snprintf(out, cap, BOT_T(b, "<b>%s</b>: stability, %s", "<b>%s</b>: стабильность, %s"), host,
	         j->span_label);
}

static const char *busy_text(struct bot *b)
{
	return BOT_T(b, "⏳ Busy drawing other charts, try again in a moment.",
	             "⏳ Сейчас рисуются другие графики, попробуйте чуть позже.");
}

/* ---- the chart buttons ---------------------------------------------------------- */

static void range_keyboard(struct bot *b, const struct bot_cb *q, const struct chart_btn *c,
                           const char *secret)
{
	struct bot_kb kb;
	struct tg_args *a;
	size_t i;

	bot_kb_init(&kb);
	for (i = 0; i < NELEM(range_btns); i++)
		bot_kb_btnf(&kb, BOT_T(b, range_btns[i].en, range_btns[i].ru), "cr:%s:%s:%s", c->tok,
		            range_btns[i].tok, secret);
	bot_kb_row(&kb);
	bot_kb_btnf(&kb, BOT_T(b, "◀️ Back", "◀️ Назад"), BACK_FMT, secret);
	a = tg_args_new();
	tg_args_int(a, "chat_id", q->chat_id);
	tg_args_int(a, "message_id", q->message_id);
	tg_args_json(a, "reply_markup", bot_kb_json(&kb));
	tg_call(b->tg, "editMessageReplyMarkup", q->chat_id, a, TG_REPLY, NULL, NULL);
	bot_kb_free(&kb);
}

static void range_chosen(struct bot *b, const struct bot_cb *q, const struct chart_btn *c,
                         const struct range_btn *rg, const char *secret)
{
	struct render_job *j = render_job_new(b, q->chat_id, q->user_id);

	if (!j) {
		bot_answer_cb(b, q, BOT_T(b, "Out of memory", "Не хватает памяти"), 0);
		return;
	}
	snprintf(j->secret, sizeof(j->secret), "%s", secret);
	job_host(b, j);
	j->kind = c->kind;
	j->metric = c->metric;
	j->span = rg->seconds;
	snprintf(j->what, sizeof(j->what), "%s", BOT_T(b, c->en, c->ru));
	snprintf(j->span_label, sizeof(j->span_label), "%s", BOT_T(b, rg->en, rg->ru));
	if (render_submit(b, j) != 0)
		bot_answer_cb(b, q, busy_text(b), 0);
	else
		bot_answer_cb(b, q, BOT_T(b, "📊 Drawing…", "📊 Рисую…"), 0);
}

int bot_render_callback(struct bot *b, const struct bot_cb *q)
{
	char buf[BOT_CB_MAX + 1], *chart, *range = NULL, *secret, *p;
	const struct chart_btn *c;
	const struct range_btn *rg = NULL;
	int is_range;

	if (strncmp(q->data, "ch:", 3) != 0 && strncmp(q->data, "cr:", 3) != 0)
		return 0;
	is_range = q->data[1] == 'r';
	snprintf(buf, sizeof(buf), "%s", q->data + 3);
	chart = buf;
	if (!(p = strchr(chart, ':')))
		goto bad;
	*p = 0;
	secret = p + 1;
	if (is_range) {
		range = secret;
		if (!(p = strchr(range, ':')))
			goto bad;
		*p = 0;
		secret = p + 1;
		if (!(rg = range_btn_find(range)))
			goto bad;
	}
	if (!(c = chart_btn_find(chart)))
		goto bad;
	if (!bot_owned_key(b, q, secret))
		return 1;
	if (is_range) {
		range_chosen(b, q, c, rg, secret);
	} else {
		range_keyboard(b, q, c, secret);
		bot_answer_cb(b, q, NULL, 0);
	}
	return 1;
bad:
	log_info("bot: user %lld sent a chart button that is not ours", (long long)q->user_id);
	bot_answer_cb(b, q, BOT_T(b, "Unknown button", "Неизвестная кнопка"), 0);
	return 1;
}

/* ---- /plot ----------------------------------------------------------------------- */

static void reply(struct bot *b, int64_t chat, const char *html)
{
	bot_send(b, chat, html, NULL, TG_REPLY, NULL, NULL);
}

/* The caption's subject: the metrics as given, upper-case, "/" between. */
static void plot_what(const char *metrics, char *out, size_t cap)
{
	size_t n = 0;
	int sep = 0;

	for (; *metrics && n + 2 < cap; metrics++) {
		if (*metrics == ';') {
			sep = n > 0;
			continue;
		}
		if (sep)
			out[n++] = '/';
		sep = 0;
		out[n++] = (char)toupper((unsigned char)*metrics);
	}
	out[n] = 0;
}

/* The fleet series /plot draws (store.h, wire/fleet.h): a name, or a
 * prefix before a container's, a drive's or a custom metric's name. */
static const struct {
	const char *name;
	int prefix;
	enum chart_family fam;
	const char *unit;
} fleet_series[] = {
	{ "ups_charge", 0, CHART_F_PERCENT, NULL },  { "ups_load", 0, CHART_F_PERCENT, NULL },
	{ "ups_runtime", 0, CHART_F_PLAIN, "s" },    { "container_cpu:", 1, CHART_F_PERCENT, NULL },
	{ "container_mem:", 1, CHART_F_BYTES, NULL }, { "smart_temp:", 1, CHART_F_TEMP, NULL },
	{ "smart_used:", 1, CHART_F_PERCENT, NULL },  { "custom:", 1, CHART_F_PLAIN, "" },
};

static int fleet_series_of(const char *name)
{
	for (size_t i = 0; i < NELEM(fleet_series); i++) {
		size_t n = strlen(fleet_series[i].name);
		if (fleet_series[i].prefix ? !strncmp(name, fleet_series[i].name, n) && name[n]
		                           : !strcmp(name, fleet_series[i].name))
			return store_series_ok(name, strlen(name)) ? (int)i : -1;
	}
	return -1;
}

/* /plot <key> <fleet series> <interval…> [limit]: the interval tokens
 * summed as the original's, a number last is the y-axis top. 0, or -1
 * with the reason in err. */
static int series_args(struct bot *b, int argc, char **argv, int64_t *span, double *limit, char *err, size_t cap)
{
	*span = 0;
	*limit = NAN;
	for (int i = 0; i < argc; i++) {
		int64_t s = chart_parse_span(argv[i]);
		char *end;
		double v;
		if (s > 0 && *span <= CHART_MAX_RANGE_S) {
			*span += s;
			continue;
		}
		v = strtod(argv[i], &end);
		if (i == argc - 1 && i > 0 && end != argv[i] && !*end && isfinite(v) && v > 0) {
			*limit = v;
			continue;
		}
		snprintf(err, cap, BOT_T(b, "Bad interval or limit: %s", "Неверный интервал или предел: %s"), argv[i]);
		return -1;
	}
	if (*span <= 0 || *span > CHART_MAX_RANGE_S) {
		snprintf(err, cap, "%s", BOT_T(b, "The interval is 1 s to 366 d, e.g. 24h or 1d12h.",
		                               "Интервал от 1 с до 366 д, например 24h или 1d12h."));
		return -1;
	}
	return 0;
}

static void plot_series(struct bot *b, const struct bot_msg *m, int argc, char **argv, int kind)
{
	char err[192], esc[4 * sizeof(err)], text[sizeof(esc) + 8];
	char secret[STORE_SECRET_MAX + 1];
	struct render_job *j;
	int64_t span;
	double limit;

	if (series_args(b, argc - 2, argv + 2, &span, &limit, err, sizeof(err)) != 0) {
		snprintf(text, sizeof(text), "❌ %s", bot_esc(err, esc, sizeof(esc)));
		reply(b, m->chat_id, text);
		return;
	}
	if (bot_user_key(b, m->chat_id, m->user_id, argv[0], secret) != 0)
		return; /* told why */
	if (!(j = render_job_new(b, m->chat_id, m->user_id))) {
		reply(b, m->chat_id, BOT_T(b, "❌ Out of memory", "❌ Не хватает памяти"));
		return;
	}
	snprintf(j->secret, sizeof(j->secret), "%s", secret);
	job_host(b, j);
	j->kind = CHART_K_SERIES;
	snprintf(j->series, sizeof(j->series), "%s", argv[1]);
	j->series_fam = fleet_series[kind].fam;
	snprintf(j->series_unit, sizeof(j->series_unit), "%s", fleet_series[kind].unit ? fleet_series[kind].unit : "");
	j->series_limit = limit;
	j->span = span;
	snprintf(j->what, sizeof(j->what), "%s", argv[1]);
	span_label(span, j->lang, j->span_label, sizeof(j->span_label));
	if (render_submit(b, j) != 0)
		reply(b, m->chat_id, busy_text(b));
}

void bot_cmd_plot(struct bot *b, const struct bot_msg *m, int argc, char **argv)
{
	enum chart_lang lang = b->lang == BOT_RU ? CHART_RU : CHART_EN;
	char err[192], esc[4 * sizeof(err)], text[sizeof(esc) + 8];
	struct render_job *j = NULL;
	struct chart_plot pl;
	char secret[STORE_SECRET_MAX + 1];

	if (argc > 0) { /* argv[0] is the command's name */
		argc--;
		argv++;
	}
	/* As the original: key, metrics and an interval at least. */
	if (argc >= 3 && fleet_series_of(argv[1]) >= 0) {
		plot_series(b, m, argc, argv, fleet_series_of(argv[1]));
		return;
	}
	if (argc < 3) {
		chart_plot_parse(0, NULL, lang, &pl, err, sizeof(err));
		goto fail;
	}
	if (chart_plot_parse(argc - 1, (const char *const *)(argv + 1), lang, &pl, err,
	                     sizeof(err)) != CHART_OK)
		goto fail;
	if (bot_user_key(b, m->chat_id, m->user_id, argv[0], secret) != 0)
		return; /* told why */
	j = render_job_new(b, m->chat_id, m->user_id);
	if (!j) {
		snprintf(err, sizeof(err), "%s", BOT_T(b, "Out of memory", "Не хватает памяти"));
		goto fail;
	}
	snprintf(j->secret, sizeof(j->secret), "%s", secret);
	job_host(b, j);
	j->kind = CHART_K_CUSTOM;
	j->plot = pl;
	j->span = pl.seconds;
	plot_what(argv[1], j->what, sizeof(j->what));
	span_label(pl.seconds, lang, j->span_label, sizeof(j->span_label));
	if (render_submit(b, j) != 0)
		reply(b, m->chat_id, busy_text(b));
	return;
fail:
	snprintf(text, sizeof(text), "❌ %s", bot_esc(err, esc, sizeof(esc)));
	reply(b, m->chat_id, text);
}

/* ---- the stability test's chart ------------------------------------------------------ */

int bot_render_stability(struct bot *b, int64_t chat, const char *secret, const float *rtts,
                         size_t n, double start, unsigned interval_ms)
{
	struct render_job *j = render_job_new(b, chat, chat);
	size_t i;

	if (!j || !(j->rtt = malloc((n ? n : 1) * sizeof(*j->rtt)))) {
		render_job_free(j);
		reply(b, chat, BOT_T(b, "⚠️ Out of memory for the chart.",
		                     "⚠️ Не хватает памяти для графика."));
		return -1;
	}
	for (i = 0; i < n; i++)
		j->rtt[i] = rtts[i]; /* NaN stays NaN: lost */
	j->nrtt = n;
	j->start_ms = (int64_t)llround(start * 1000.0);
	j->interval_ms = interval_ms > 0 && interval_ms < INT32_MAX ? (int32_t)interval_ms : 1000;
	snprintf(j->secret, sizeof(j->secret), "%s", secret);
	job_host(b, j);
	j->kind = CHART_K_STABILITY;
	span_label((int64_t)((double)n * j->interval_ms / 1000.0 + 0.5), j->lang, j->span_label,
	           sizeof(j->span_label));
	if (render_submit(b, j) != 0) {
		reply(b, chat, busy_text(b));
		return -1;
	}
	return 0;
}

/* ---- back on the bot thread --------------------------------------------------------- */

static void send_png(struct bot *b, const struct render_job *j, const char *caption)
{
	struct tg_args *a = tg_args_new();
	int doc = j->res.png_len > PHOTO_MAX;

	tg_args_int(a, "chat_id", j->chat);
	tg_args_str(a, "caption", caption);
	tg_args_str(a, "parse_mode", "HTML");
	tg_args_file(a, doc ? "document" : "photo", "chart.png", "image/png", j->res.png,
	             j->res.png_len);
	if (tg_call(b->tg, doc ? "sendDocument" : "sendPhoto", j->chat, a, TG_REPLY, NULL, NULL) != 0)
		log_warn("bot: a chart could not be queued for Telegram");
}

void bot_render_done(struct bot *b, struct bot_ev *ev)
{
	struct render_job *j = ev->render;
	char text[1024], esc[4 * sizeof(j->res.err)];

	if (!j)
		return;
	ev->render = NULL;
	render_release(b, j);
	if (j->rc == CHART_OK) {
		render_caption(b, j, text, sizeof(text));
		send_png(b, j, text);
	} else {
		if (j->rc == CHART_ENODATA)
			snprintf(text, sizeof(text), "%s",
			         BOT_T(b, "📭 No data for this period.", "📭 Данных за этот период нет."));
		else if (j->rc == RENDER_EDB)
			snprintf(text, sizeof(text), "%s",
			         BOT_T(b, "⚠️ The database is not answering; try again in a minute.",
			               "⚠️ База данных не отвечает; попробуйте через минуту."));
		else
			snprintf(text, sizeof(text), "❌ %s",
			         bot_esc(j->res.err[0] ? j->res.err : "?", esc, sizeof(esc)));
		bot_send(b, j->chat, text, NULL, TG_REPLY, NULL, NULL);
	}
	render_job_free(j);
}
