/* status.c — /status: the stored latest sample at once, then the agent's
 * fresh one (`status` → BOT_EV_ONESHOT) edited into the same message, or a
 * timeout text after ST_WAIT_MS. The text follows the original's
 * format_status (sections CPU, RAM, top processes, net, GPU, disks) plus
 * load, the alert lines (alerts.c) and the host's state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/bot/status_int.h"
#include "wire/jsonr.h"

#define ST_TOKENS 1024

/* ---- the stored sample as a struct sample ------------------------------- */

static const int sc_of_sk[SK__COUNT] = {
	[SK_CPU] = SC_CPU, [SK_RAM] = SC_RAM, [SK_SWAP] = SC_SWAP, [SK_GPU] = SC_GPU,
	[SK_VRAM] = SC_VRAM, [SK_RAM_USED] = SC_RAM_USED, [SK_RAM_TOTAL] = SC_RAM_TOTAL,
	[SK_SWAP_USED] = SC_SWAP_USED, [SK_SWAP_TOTAL] = SC_SWAP_TOTAL,
	[SK_VRAM_USED] = SC_VRAM_USED, [SK_VRAM_TOTAL] = SC_VRAM_TOTAL,
	[SK_CPU_TEMP] = SC_CPU_TEMP, [SK_GPU_TEMP] = SC_GPU_TEMP, [SK_NET_UP] = SC_NET_UP,
	[SK_NET_DOWN] = SC_NET_DOWN, [SK_UPTIME] = SC_UPTIME, [SK_CORES] = SC_CORES,
};

static double num_of(const struct jsonr *r, int obj, const char *key)
{
	double v;
	int k = jsonr_get(r, obj, key);
	if (k < 0 || jsonr_num(r, k, &v) != JSONR_OK)
		return NAN;
	return v;
}

static void str_of(const struct jsonr *r, int obj, const char *key, char *out, size_t cap)
{
	int k = jsonr_get(r, obj, key);
	out[0] = '\0';
	if (k < 0 || jsonr_type(r, k) != JSONR_T_STRING ||
	    jsonr_str(r, k, out, cap, NULL) != JSONR_OK)
		out[0] = '\0';
}

/* disks [{"mount","percent","used","total"}] and top_procs [{"name","cpu","ram"}] */
static void parse_list(const char *js, struct sample *s, int disks, jsmntok_t *tok)
{
	struct jsonr r;
	if (!js || jsonr_parse(&r, js, strlen(js), tok, ST_TOKENS, 4) != JSONR_OK ||
	    jsonr_type(&r, 0) != JSONR_T_ARRAY)
		return;
	for (int k = jsonr_first(&r, 0); k > 0; k = jsonr_after(&r, 0, k)) {
		if (jsonr_type(&r, k) != JSONR_T_OBJECT)
			continue;
		if (disks && s->ndisks < SAMPLE_MAX_DISKS) {
			struct sample_disk *d = &s->disks[s->ndisks++];
			str_of(&r, k, "mount", d->mount, sizeof(d->mount));
			d->percent = num_of(&r, k, "percent");
			d->used = num_of(&r, k, "used");
			d->total = num_of(&r, k, "total");
		} else if (!disks && s->nprocs < SAMPLE_MAX_PROCS) {
			struct sample_proc *p = &s->procs[s->nprocs++];
			str_of(&r, k, "name", p->name, sizeof(p->name));
			p->cpu = num_of(&r, k, "cpu");
			p->ram = num_of(&r, k, "ram");
		}
	}
}

static void sample_of_row(const struct store_sample *ss, struct sample *s)
{
	jsmntok_t *tok = malloc(ST_TOKENS * sizeof(*tok));
	sample_clear(s);
	s->ts = (double)ss->row.ts;
	for (int i = 0; i < SK__COUNT; i++)
		s->v[i] = ss->row.v[sc_of_sk[i]];
	s->load[0] = ss->row.v[SC_LOAD1];
	s->load[1] = ss->row.v[SC_LOAD5];
	s->load[2] = ss->row.v[SC_LOAD15];
	if (tok) {
		s->has_disks = ss->disks != NULL;
		s->has_procs = ss->top_procs != NULL;
		parse_list(ss->disks, s, 1, tok);
		parse_list(ss->top_procs, s, 0, tok);
	}
	free(tok);
}

/* ---- the text -------------------------------------------------------------- */

static void section(struct bot_buf *o, const char *name)
{
	bot_buf_addf(o, "<b>━━━━━━━━ %s ━━━━━━━━</b>\n", name);
}

static void pct_line(struct bot_buf *o, const char *icon, const char *name, double used,
                     double total, double pct, int mib)
{
	char u[32], t[32];
	if (isnan(pct) && isnan(used))
		return;
	if (mib) {
		snprintf(u, sizeof(u), "%.0f", used);
		snprintf(t, sizeof(t), "%.0f MiB", total);
	} else {
		st_fmt_bytes(used, u, sizeof(u));
		st_fmt_bytes(total, t, sizeof(t));
	}
	if (isnan(used) || isnan(total))
		bot_buf_addf(o, "%s %s: %.1f%%\n", icon, name, pct);
	else if (isnan(pct))
		bot_buf_addf(o, "%s %s: %s / %s\n", icon, name, u, t);
	else
		bot_buf_addf(o, "%s %s: %s / %s (%.1f%%)\n", icon, name, u, t, pct);
}

static void temp_line(struct bot *b, struct bot_buf *o, const char *name, double t, int always)
{
	if (!isnan(t))
		bot_buf_addf(o, "🌡️ %s: %.1f °C\n", name, t);
	else if (always)
		bot_buf_addf(o, "🌡️ %s: %s\n", name, BOT_T(b, "N/A", "н/д"));
}

static void disk_bar(struct bot_buf *o, double pct)
{
	int filled = (int)lround((pct < 0 ? 0 : pct > 100 ? 100 : pct) / 10.0);
	for (int i = 0; i < 10; i++)
		bot_buf_add(o, i < filled ? "█" : "░");
}

static void add_procs(struct bot *b, struct bot_buf *o, const struct sample *s)
{
	int shown = 0;
	for (int i = 0; i < s->nprocs; i++) {
		const struct sample_proc *p = &s->procs[i];
		char ram[32];
		if (!strcasecmp(p->name, "system idle process"))
			continue;
		if (!shown++)
			section(o, BOT_T(b, "TOP CPU", "ТОП CPU"));
		st_fmt_bytes(p->ram, ram, sizeof(ram));
		bot_buf_add(o, "⚙️ ");
		st_add_clean(o, p->name, 20);
		bot_buf_addf(o, ": 🖥️ %.1f%% 🧠 %s\n", isnan(p->cpu) ? 0.0 : p->cpu, ram);
	}
}

static void add_disks(struct bot *b, struct bot_buf *o, const struct sample *s)
{
	for (int i = 0; i < s->ndisks; i++) {
		const struct sample_disk *d = &s->disks[i];
		char u[32], t[32];
		if (!i)
			section(o, BOT_T(b, "DISKS", "ДИСКИ"));
		/* a long list of mounts must not push the text past one message */
		if (bot_utf16_len(o->s, o->len) > ST_TEXT_BUDGET) {
			bot_buf_addf(o, BOT_T(b, "💾 … %d more\n", "💾 … ещё %d\n"), s->ndisks - i);
			break;
		}
		st_fmt_bytes(d->used, u, sizeof(u));
		st_fmt_bytes(d->total, t, sizeof(t));
		bot_buf_add(o, "💾 ");
		st_add_clean(o, d->mount, 40);
		bot_buf_add(o, ": ");
		disk_bar(o, d->percent);
		bot_buf_addf(o, " %.0f%% (%s / %s)%s\n", d->percent, u, t,
		             d->percent >= 90 ? "❗" : "");
	}
}

/* The body: the original's sections, in its order. */
static void st_format(struct bot *b, struct bot_buf *o, const char *label,
                      const struct sample *s)
{
	const double *v = s->v;
	char a[48], c[48];
	time_t ts = (time_t)(isnan(s->ts) ? 0 : s->ts);
	struct tm tm;

	localtime_r(&ts, &tm);
	strftime(a, sizeof(a), "%d.%m %H:%M:%S", &tm);
	bot_buf_add(o, "💻 <b>");
	bot_buf_esc(o, label);
	bot_buf_add(o, "</b>\n");
	bot_buf_addf(o, BOT_T(b, "🕒 Updated: %s\n", "🕒 Обновлено: %s\n"), a);
	st_fmt_uptime(b, v[SK_UPTIME], a, sizeof(a));
	bot_buf_addf(o, BOT_T(b, "⏳ Uptime: %s\n", "⏳ Аптайм: %s\n"), a);
	section(o, "CPU");
	if (!isnan(v[SK_CPU]))
		bot_buf_addf(o, "🖥️ CPU: %.1f%%\n", v[SK_CPU]);
	if (!isnan(s->load[0]))
		bot_buf_addf(o, BOT_T(b, "📈 Load: %.2f %.2f %.2f\n", "📈 Нагрузка: %.2f %.2f %.2f\n"),
		             s->load[0], isnan(s->load[1]) ? 0.0 : s->load[1],
		             isnan(s->load[2]) ? 0.0 : s->load[2]);
	temp_line(b, o, "CPU Temp", v[SK_CPU_TEMP], 1);
	section(o, "RAM");
	pct_line(o, "🧠", "RAM", v[SK_RAM_USED], v[SK_RAM_TOTAL], v[SK_RAM], 0);
	pct_line(o, "🧠", "SWAP", v[SK_SWAP_USED], v[SK_SWAP_TOTAL], v[SK_SWAP], 0);
	add_procs(b, o, s);
	if (!isnan(v[SK_NET_UP]) && !isnan(v[SK_NET_DOWN])) {
		section(o, "NET");
		st_fmt_bits(v[SK_NET_UP], a, sizeof(a));
		st_fmt_bits(v[SK_NET_DOWN], c, sizeof(c));
		bot_buf_addf(o, "📡 Net: ↑ %s ↓ %s\n", a, c);
	}
	if (!isnan(v[SK_GPU])) {
		section(o, "GPU");
		bot_buf_addf(o, "🎮 GPU: %.1f%%\n", v[SK_GPU]);
		pct_line(o, "🗄️", "VRAM", v[SK_VRAM_USED], v[SK_VRAM_TOTAL], v[SK_VRAM], 1);
		temp_line(b, o, "GPU Temp", v[SK_GPU_TEMP], 0);
	}
	add_disks(b, o, s);
}

static void add_foot(struct bot *b, struct bot_buf *o, const char *secret, int64_t user,
                     enum st_foot foot)
{
	struct bot_buf al = { 0 };
	bot_fleet_describe(b, secret, user, o);
	bot_alerts_describe(b, secret, user, &al);
	if (al.s && al.len && !al.oom) {
		bot_buf_add(o, al.s);
		if (al.s[al.len - 1] != '\n')
			bot_buf_add(o, "\n");
	}
	bot_buf_free(&al);
	switch (foot) {
	case ST_FOOT_WAITING:
		bot_buf_add(o, BOT_T(b, "⏳ <i>Asking the agent for fresh data…</i>",
		                     "⏳ <i>Запрашиваем свежие данные у агента…</i>"));
		break;
	case ST_FOOT_OFFLINE:
		bot_buf_add(o, BOT_T(b, "🔴 <b>The host is offline</b>: this is its last sample.",
		                     "🔴 <b>Хост офлайн</b>: это последние полученные данные."));
		break;
	case ST_FOOT_TIMEOUT:
		bot_buf_add(o, BOT_T(b, "⚠️ <i>No fresh status from the agent within 15 s.</i>",
		                     "⚠️ <i>Свежий статус от агента не получен за 15 с.</i>"));
		break;
	case ST_FOOT_NONE:
		break;
	}
	while (o->len && o->s[o->len - 1] == '\n')
		o->s[--o->len] = '\0';
}

void st_text_stored(struct bot *b, const char *secret, int64_t user, enum st_foot foot,
                    struct bot_buf *o)
{
	struct store_sample ss;
	struct sample *s = NULL;
	char label[STORE_NAME_MAX + 8];

	st_label(b, secret, label, sizeof(label));
	memset(&ss, 0, sizeof(ss));
	if (store_latest(b->st, secret, &ss) == STORE_OK && (s = malloc(sizeof(*s))) != NULL) {
		sample_of_row(&ss, s);
		st_format(b, o, label, s);
	} else {
		bot_buf_add(o, "💻 <b>");
		bot_buf_esc(o, label);
		bot_buf_add(o, "</b>\n");
		bot_buf_add(o, BOT_T(b, "No data from the agent yet.\n", "Нет данных от агента.\n"));
	}
	free(s);
	store_sample_free(&ss);
	add_foot(b, o, secret, user, foot);
}

static void text_fresh(struct bot *b, const char *secret, int64_t user, const struct sample *s,
                       struct bot_buf *o)
{
	char label[STORE_NAME_MAX + 8];
	st_label(b, secret, label, sizeof(label));
	st_format(b, o, label, s);
	add_foot(b, o, secret, user, ST_FOOT_NONE);
}

/* ---- waits ------------------------------------------------------------------ */

struct st_sent { struct bot *b; uint64_t id; };

static void wait_free(struct bot_status *bs, struct st_wait **pp)
{
	struct st_wait *w = *pp;
	*pp = w->next;
	free(w->final_html);
	free(w);
	bs->nwaits--;
}

static struct st_wait **wait_by_id(struct bot_status *bs, uint64_t id)
{
	struct st_wait **pp;
	for (pp = &bs->waits; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id)
			return pp;
	return NULL;
}

static void edit_status(struct bot *b, const struct st_wait *w, const char *html)
{
	struct bot_kb k;
	bot_kb_init(&k);
	st_status_kb(b, &k, w->secret);
	bot_edit(b, w->chat, w->msg_id, html, bot_kb_json(&k), NULL, NULL);
	bot_kb_free(&k);
}

/* sendMessage answered: now the message can be edited. */
static void wait_sent(void *arg, const struct tg_result *r)
{
	struct st_sent *sn = arg;
	struct bot_status *bs = sn->b->status;
	struct st_wait **pp = bs ? wait_by_id(bs, sn->id) : NULL;

	if (pp) {
		struct st_wait *w = *pp;
		if (!r->ok || !r->message_id) {
			wait_free(bs, pp);
		} else {
			w->msg_id = r->message_id;
			if (w->final_html) {
				edit_status(sn->b, w, w->final_html);
				wait_free(bs, pp);
			}
		}
	}
	free(sn);
}

static struct st_wait *wait_add(struct bot *b, int64_t chat, int64_t msg_id, int64_t user,
                                const char *secret)
{
	struct bot_status *bs = b->status;
	struct st_wait *w, **pp;

	/* a second refresh of one message only moves its deadline */
	for (w = bs->waits; w; w = w->next)
		if (msg_id && w->chat == chat && w->msg_id == msg_id) {
			w->deadline_ms = bot_mono_ms() + ST_WAIT_MS;
			return w;
		}
	if (bs->nwaits >= ST_WAITS_MAX) {
		for (pp = &bs->waits; (*pp)->next; pp = &(*pp)->next)
			;
		wait_free(bs, pp);
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->id = ++bs->seq;
	w->chat = chat;
	w->msg_id = msg_id;
	w->user = user;
	snprintf(w->secret, sizeof(w->secret), "%s", secret);
	w->deadline_ms = bot_mono_ms() + ST_WAIT_MS;
	w->next = bs->waits;
	bs->waits = w;
	bs->nwaits++;
	return w;
}

void st_show(struct bot *b, int64_t chat, int64_t msg_id, int64_t user, const char *secret)
{
	struct bot_host *h = bot_host_find(b, secret);
	int online = h && h->online;
	struct bot_buf o = { 0 };
	struct bot_kb k;
	struct st_wait *w = NULL;
	struct st_sent *sn = NULL;

	st_text_stored(b, secret, user, online ? ST_FOOT_WAITING : ST_FOOT_OFFLINE, &o);
	if (o.oom || !o.s)
		goto out;
	bot_kb_init(&k);
	st_status_kb(b, &k, secret);
	if (online)
		w = wait_add(b, chat, msg_id, user, secret);
	if (msg_id) {
		bot_edit(b, chat, msg_id, o.s, bot_kb_json(&k), NULL, NULL);
	} else if (w && (sn = malloc(sizeof(*sn))) != NULL) {
		sn->b = b;
		sn->id = w->id;
		if (bot_send(b, chat, o.s, bot_kb_json(&k), TG_REPLY, wait_sent, sn) != 0) {
			free(sn);
			wait_free(b->status, wait_by_id(b->status, w->id));
			w = NULL;
		}
	} else {
		bot_send(b, chat, o.s, bot_kb_json(&k), TG_REPLY, NULL, NULL);
	}
	bot_kb_free(&k);
	if (w)
		bot_agent_command(b, secret, "status", user, chat);
out:
	bot_buf_free(&o);
}

/* ---- entry points (bot_int.h) ---------------------------------------------- */

void st_waits_free(struct bot *b)
{
	while (b->status->waits)
		wait_free(b->status, &b->status->waits);
}

void bot_cmd_status(struct bot *b, const struct bot_msg *m, int argc, char **argv)
{
	char secret[STORE_SECRET_MAX + 1];
	if (st_cmd_key(b, m, argc, argv, 1, secret) < 0)
		return;
	st_show(b, m->chat_id, 0, m->user_id, secret);
}

void bot_status_on_oneshot(struct bot *b, const struct bot_ev *ev)
{
	struct bot_status *bs = b->status;
	struct st_wait **pp = &bs->waits;

	if (!ev->sample)
		return;
	while (*pp) {
		struct st_wait *w = *pp;
		struct bot_buf o = { 0 };
		if (strcmp(w->secret, ev->secret) != 0) {
			pp = &w->next;
			continue;
		}
		text_fresh(b, w->secret, w->user, ev->sample, &o);
		if (o.oom || !o.s) {
			bot_buf_free(&o);
			wait_free(bs, pp);
		} else if (w->msg_id) {
			edit_status(b, w, o.s);
			bot_buf_free(&o);
			wait_free(bs, pp);
		} else {
			free(w->final_html);
			w->final_html = o.s; /* taken */
			w->deadline_ms = bot_mono_ms() + ST_SEND_WAIT_MS;
			pp = &w->next;
		}
	}
}

void st_waits_tick(struct bot *b, int64_t now_ms)
{
	struct bot_status *bs = b->status;
	struct st_wait **pp = &bs->waits;

	while (*pp) {
		struct st_wait *w = *pp;
		struct bot_buf o = { 0 };
		if (w->deadline_ms > now_ms) {
			pp = &w->next;
			continue;
		}
		st_text_stored(b, w->secret, w->user, ST_FOOT_TIMEOUT, &o);
		if (!w->msg_id && !w->final_html && !o.oom && o.s) {
			/* the message is still being sent (rate limits): edit when it is */
			w->final_html = o.s;
			w->deadline_ms = now_ms + ST_SEND_WAIT_MS;
			pp = &w->next;
			continue;
		}
		if (w->msg_id && !o.oom && o.s)
			edit_status(b, w, o.s);
		bot_buf_free(&o);
		wait_free(bs, pp);
	}
}
