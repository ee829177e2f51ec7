/* scaffold.c — TEMPORARY while issue 10's parts are written in parallel:
 * weak do-nothing definitions so every branch links. Each part's real file
 * overrides these; this file is deleted before the bot lands. */
#include "server/bot/bot_int.h"

#define W __attribute__((weak))

W int tg_new(struct tg **out, const char *u, const char *t, char *e, size_t n) { (void)u; (void)t; (void)e; (void)n; *out = NULL; return 0; }
W void tg_free(struct tg *t) { (void)t; }
W struct tg_args *tg_args_new(void) { return NULL; }
W void tg_args_free(struct tg_args *a) { (void)a; }
W void tg_args_int(struct tg_args *a, const char *n, int64_t v) { (void)a; (void)n; (void)v; }
W void tg_args_str(struct tg_args *a, const char *n, const char *v) { (void)a; (void)n; (void)v; }
W void tg_args_bool(struct tg_args *a, const char *n, int v) { (void)a; (void)n; (void)v; }
W void tg_args_json(struct tg_args *a, const char *n, const char *j) { (void)a; (void)n; (void)j; }
W void tg_args_file(struct tg_args *a, const char *n, const char *f, const char *m, const void *d, size_t l) { (void)a; (void)n; (void)f; (void)m; (void)d; (void)l; }
W int tg_call(struct tg *t, const char *m, int64_t c, struct tg_args *a, enum tg_class k, tg_done_fn d, void *arg) { (void)t; (void)m; (void)c; (void)a; (void)k; (void)d; (void)arg; return -1; }
W void tg_poll_updates(struct tg *t, int64_t o, int s, tg_updates_fn f, void *a) { (void)t; (void)o; (void)s; (void)f; (void)a; }
W void tg_set_offset(struct tg *t, int64_t o) { (void)t; (void)o; }
W void tg_stop_polling(struct tg *t) { (void)t; }
W int tg_run(struct tg *t, int ms) { (void)t; (void)ms; return -1; }
W void tg_wakeup(struct tg *t) { (void)t; }
W size_t tg_pending(const struct tg *t) { (void)t; return 0; }
W void tg_get_stats(const struct tg *t, struct tg_stats *o) { (void)t; (void)o; }

W void bot_on_message(struct bot *b, const struct bot_msg *m) { (void)b; (void)m; }
W void bot_on_callback(struct bot *b, const struct bot_cb *q) { (void)b; (void)q; }
W int bot_status_init(struct bot *b) { (void)b; return 0; }
W void bot_status_free(struct bot *b) { (void)b; }
W void bot_cmd_status(struct bot *b, const struct bot_msg *m, int c, char **v) { (void)b; (void)m; (void)c; (void)v; }
W void bot_cmd_list(struct bot *b, const struct bot_msg *m) { (void)b; (void)m; }
W int bot_status_callback(struct bot *b, const struct bot_cb *q) { (void)b; (void)q; return 0; }
W void bot_status_on_oneshot(struct bot *b, const struct bot_ev *e) { (void)b; (void)e; }
W void bot_status_on_result(struct bot *b, const struct bot_ev *e) { (void)b; (void)e; }
W void bot_status_tick(struct bot *b, int64_t ms) { (void)b; (void)ms; }
W int bot_alerts_init(struct bot *b) { (void)b; return 0; }
W void bot_alerts_free(struct bot *b) { (void)b; }
W void bot_alerts_on_event(struct bot *b, const struct bot_ev *e) { (void)b; (void)e; }
W void bot_alerts_tick(struct bot *b, int64_t now) { (void)b; (void)now; }
W void bot_cmd_setalert(struct bot *b, const struct bot_msg *m, int c, char **v) { (void)b; (void)m; (void)c; (void)v; }
W void bot_cmd_delalert(struct bot *b, const struct bot_msg *m, int c, char **v) { (void)b; (void)m; (void)c; (void)v; }
W void bot_cmd_mute(struct bot *b, const struct bot_msg *m, int c, char **v) { (void)b; (void)m; (void)c; (void)v; }
W int bot_alerts_callback(struct bot *b, const struct bot_cb *q) { (void)b; (void)q; return 0; }
W void bot_alerts_forget_key(struct bot *b, const char *s) { (void)b; (void)s; }
W void bot_alerts_describe(struct bot *b, const char *s, int64_t u, struct bot_buf *o) { (void)b; (void)s; (void)u; (void)o; }
W void bot_notify_owners(struct bot *b, const char *s, const char *h, const char *m) { (void)b; (void)s; (void)h; (void)m; }
W int bot_render_init(struct bot *b) { (void)b; return 0; }
W void bot_render_free(struct bot *b) { (void)b; }
W void bot_cmd_plot(struct bot *b, const struct bot_msg *m, int c, char **v) { (void)b; (void)m; (void)c; (void)v; }
W int bot_render_callback(struct bot *b, const struct bot_cb *q) { (void)b; (void)q; return 0; }
W void bot_render_done(struct bot *b, struct bot_ev *e) { (void)b; (void)e; }
