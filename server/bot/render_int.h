/* render_int.h — what render.c (the workers) and render_cmd.c (buttons,
 * /plot, captions) share. */
#ifndef MONBOT_BOT_RENDER_INT_H
#define MONBOT_BOT_RENDER_INT_H

#include "server/bot/bot_int.h"
#include "server/chart/chart.h"

#define RENDER_QUEUE_MAX 16 /* jobs taken and not yet answered, everyone's */
#define RENDER_USER_MAX 3   /* ... of one user (a burst of button presses) */
#define RENDER_RING 256     /* render times kept for the percentiles */
#define PHOTO_MAX 10000000u /* Telegram takes photos up to 10 MB; a larger PNG goes as a document */
#define RENDER_EDB (-100)   /* job result: the database did not answer */

/* One chart to draw. Filled on the bot thread, rendered by a worker, sent
 * and freed on the bot thread. */
struct render_job {
	struct render_job *next;
	int64_t chat, user;
	char secret[STORE_SECRET_MAX + 1];
	char host[STORE_NAME_MAX + 8];  /* the key's label, in the title */
	enum chart_lang lang;
	enum chart_kind kind;
	enum chart_metric metric;       /* CHART_K_METRIC */
	struct chart_plot plot;         /* CHART_K_CUSTOM */
	char series[STORE_SERIES_MAX];  /* CHART_K_SERIES: a fleet series' name */
	enum chart_family series_fam;
	char series_unit[8];
	double series_limit;            /* NaN = automatic */
	int64_t span;                   /* seconds back from now */
	char what[96];                  /* the caption's subject, plain text */
	char span_label[32];            /* "1 h", "1 d 12 h" */
	double *rtt;                    /* CHART_K_STABILITY */
	size_t nrtt;
	int64_t start_ms;
	int32_t interval_ms;
	/* the worker's */
	int rc;                         /* CHART_OK, CHART_E*, RENDER_EDB */
	struct chart_result res;
	int64_t queued_ms, render_ms;
};

struct bot_render {
	struct bot *b;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct render_job *head, *tail;
	int stop;
	pthread_t *threads;
	unsigned nthreads;
	size_t pending;                 /* queued + rendering + waiting to be sent */
	struct { int64_t user; unsigned n; } users[RENDER_QUEUE_MAX];
	uint64_t jobs, nodata, failed, busy;
	uint32_t ms[RENDER_RING];
	size_t ms_n, ms_pos;
};

/* render.c */
struct render_job *render_job_new(struct bot *b, int64_t chat, int64_t user);
void render_job_free(struct render_job *j);
/* Queues j (taken, also on failure). 0, or -1 when the queue or the
 * user's share of it is full: answer "busy". */
int render_submit(struct bot *b, struct render_job *j);

/* The job's answer went out: its slots in the queue are free. */
void render_release(struct bot *b, const struct render_job *j);
/* render_cmd.c: the photo's caption (HTML). */
void render_caption(struct bot *b, const struct render_job *j, char *out, size_t cap);

#endif
