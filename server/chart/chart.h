/* chart.h — PNG charts of metric history (SPEC §8): our own rasteriser into an
 * RGB canvas, an embedded DejaVu Sans drawn with stb_truetype, PNG written with
 * stbi_write_png_to_func into memory.
 *
 * Input is columns of samples exactly as a storage range read returns them
 * (raw rows, or per-minute/per-hour rollups with min/avg/max), read through
 * byte strides so an array of row structs can be passed without copying.
 * Each render reduces the samples to min/avg/max per pixel column in one
 * streaming pass: its memory is bounded by the canvas, never by the number of
 * samples, and a 30-day series costs about what a 10-minute one does.
 *
 * Thread safety: no mutable globals. Any number of threads may render at once
 * (GRAPH_WORKERS); everything a render needs lives in its own call. */
#ifndef MONBOT_CHART_H
#define MONBOT_CHART_H

#include <stddef.h>
#include <stdint.h>

#define CHART_OK        0
#define CHART_ENODATA (-1) /* nothing to draw in the range: tell the user, send no picture */
#define CHART_EINVAL  (-2) /* bad request (unknown metric or unit, bad interval...) */
#define CHART_ESIZE   (-3) /* width/height outside the limits below */
#define CHART_EUNITS  (-4) /* /plot metrics of different unit families */
#define CHART_ENOMEM  (-5)
#define CHART_EPNG    (-6) /* encoder failed or the PNG would exceed CHART_MAX_PNG */

#define CHART_DEFAULT_W 1600
#define CHART_DEFAULT_H 800
#define CHART_MIN_W 320
#define CHART_MIN_H 200
#define CHART_MAX_W 4096
#define CHART_MAX_H 4096
#define CHART_MAX_PIXELS (4096L * 2304L) /* 28 MiB of canvas at most */
#define CHART_MAX_PNG (16u << 20)
#define CHART_MAX_SERIES 8
#define CHART_MAX_RANGE_S (366LL * 86400) /* longest /plot interval */

/* Metrics a chart can draw, named as the wire and the metrics table (SPEC §3,
 * §6). Native units: percent; bytes (ram_used); MiB (vram_used); bytes/s
 * (net_*); °C. Conversions to the axis unit happen here. */
enum chart_metric {
	CHART_M_CPU,
	CHART_M_RAM,
	CHART_M_GPU,
	CHART_M_VRAM,
	CHART_M_SWAP,
	CHART_M_NET_UP,
	CHART_M_NET_DOWN,
	CHART_M_RAM_USED,
	CHART_M_VRAM_USED,
	CHART_M_CPU_TEMP,
	CHART_M_GPU_TEMP,
	CHART_M_COUNT
};

/* Wire/column name of a metric ("cpu", "net_up", "ram_used"...). */
const char *chart_metric_name(enum chart_metric m);
/* The metric with that column name (case-insensitive), or -1. */
int chart_metric_from_name(const char *name);

/* One metric's values over the range.
 * v: the value (the average, for a rollup); NaN = missing (SQL NULL), and
 *    infinities are treated as missing. NULL = the host never had it.
 * vmin, vmax: the rollup's extremes, or NULL for raw samples. With them the
 *    per-column envelope shows spikes that averaging would hide.
 * stride: bytes from one value to the next, the same for v, vmin and vmax;
 *    0 means packed doubles.
 * ts, ts_stride, n: this column's own timestamps (unix seconds, ascending)
 *    and count, for sources that read each metric separately; ts NULL = the
 *    chart_data's shared ts and n, index-aligned.
 *
 * A storage range read (server/store/store.h) feeds it without copying:
 *     struct store_series s;   store_range(st, secret, SM_CPU, from, to, STORE_RES_AUTO, &s);
 *     d.col[CHART_M_CPU] = (struct chart_col){
 *         .v = &s.pts[0].avg, .vmin = &s.pts[0].min, .vmax = &s.pts[0].max,
 *         .stride = sizeof(*s.pts), .ts = &s.pts[0].ts, .ts_stride = sizeof(*s.pts),
 *         .n = s.n };
 * (with s.n == 0, leave .v NULL: the metric has no data). */
struct chart_col {
	const double *v;
	const double *vmin;
	const double *vmax;
	size_t stride;
	const int64_t *ts;
	size_t ts_stride;
	size_t n;
};

/* Samples of one host over a range. ts (unix seconds, ascending, stride
 * ts_stride or 0 = packed int64_t) and n are shared by the columns that have
 * no ts of their own; ts may be NULL when every column has one. */
struct chart_data {
	const int64_t *ts;
	size_t ts_stride;
	size_t n;
	struct chart_col col[CHART_M_COUNT];
};

enum chart_lang { CHART_EN = 0, CHART_RU = 1 };

/* Everything about the picture that is not data. Zero-initialised = defaults. */
struct chart_opts {
	int width, height;     /* 0 = CHART_DEFAULT_W x CHART_DEFAULT_H */
	int64_t from, to;      /* x range, unix seconds (normally now-range .. now);
	                          to <= from: the data's own first..last */
	const char *host;      /* nickname in the title, UTF-8; NULL = none */
	enum chart_lang lang;  /* titles, units and error texts */
	int32_t utc_offset_s;  /* time-axis labels in this zone (seconds east) */
};

/* A parsed /plot request (SPEC §7): metrics, interval, y limit, unit. */
enum chart_family { CHART_F_PERCENT, CHART_F_BYTES, CHART_F_BITS, CHART_F_TEMP, CHART_F_MS,
                    CHART_F_PLAIN /* a number in the caller's unit (chart_named.unit) */ };
struct chart_plot {
	int nmetrics;
	enum chart_metric metric[CHART_MAX_SERIES]; /* "net" already split in up/down */
	int64_t seconds;       /* summed interval tokens */
	double limit;          /* y-axis top; NaN = automatic */
	char unit[12];         /* the unit token as given, lower-cased; "" = none */
	enum chart_family family;
	double unit_scale;     /* axis value = native value in the family's base
	                          unit (B, bit/s) / unit_scale; 0 = auto (best_unit) */
	char unit_label[12];   /* "MiB", "Mbit/s", "%" ...; "" while auto */
};

/* Parses the /plot arguments after the key: `<metrics> <interval…> [limit]
 * [unit]` with the original's rules (metrics joined by ';', interval tokens
 * like 30s 15m 3h 2d summed, unit tables: % b kb kib mb mib gb gib for
 * RAM/VRAM, bit kbit mbit gbit for net). On error returns CHART_EINVAL or
 * CHART_EUNITS with the user-facing text in err (in the opts' language). */
int chart_plot_parse(int argc, const char *const *argv, enum chart_lang lang,
                     struct chart_plot *out, char *err, size_t errlen);
/* The same from separate pieces (monbot-chart --plot/--unit/--limit):
 * metrics "cpu;ram", unit NULL/"" = none, limit NaN = none. */
int chart_plot_set(struct chart_plot *out, const char *metrics, const char *unit,
                   double limit, int64_t seconds, enum chart_lang lang,
                   char *err, size_t errlen);
/* Sums interval tokens ("30s", "15m", "3h", "2d", case-insensitive); one
 * string may hold several ("1d12h"). Returns seconds, or -1 if invalid. */
int64_t chart_parse_span(const char *tok);

/* The original's best_unit: network speed in bytes/s -> a divisor and a bit
 * unit scaled by 1000s ("bit/s", "Kbit/s" ... "Pbit/s"). Values / *scale are
 * in that unit. */
void chart_best_unit(double max_bytes_per_s, double *scale, const char **unit);
/* Byte counts in B/KiB/MiB/GiB/TiB (1024s). */
void chart_best_unit_bytes(double max_bytes, double *scale, const char **unit);

/* What to draw. */
enum chart_kind {
	CHART_K_METRIC,    /* one metric (metric below): "CPU %", "Net Up"... */
	CHART_K_NET,       /* net up and down, bit/s scaled with best_unit */
	CHART_K_ALL,       /* CPU, RAM, GPU, VRAM (the last two when present), % */
	CHART_K_CUSTOM,    /* a /plot request (plot below) */
	CHART_K_STABILITY, /* RTT of a stability test (rtt below), outages hatched red */
	CHART_K_SERIES     /* one series the caller names (named below): a fleet series */
};

/* CHART_K_SERIES: a series that is none of enum chart_metric, described by
 * the caller (the fleet keys' ups_charge, container_cpu:web...). */
struct chart_named {
	const char *label;          /* the title's subject and the legend, UTF-8 */
	enum chart_family fam;      /* PERCENT (0..100 axis), BYTES (binary prefixes),
	                               TEMP, or PLAIN */
	const char *unit;           /* PLAIN: the axis unit ("s"; NULL or "" = none) */
	double limit;               /* y-axis top; NaN = automatic */
	struct chart_col col;       /* its values, with their own ts */
};

/* A stability test's result (SPEC §3 "stability"): one RTT per packet sent
 * every interval_ms from start_ms; NaN = lost (no reply). */
struct chart_rtt {
	int64_t start_ms;
	int32_t interval_ms;
	const double *rtt_ms;
	size_t n;
};

struct chart_req {
	enum chart_kind kind;
	enum chart_metric metric;       /* CHART_K_METRIC */
	const struct chart_plot *plot;  /* CHART_K_CUSTOM */
	const struct chart_data *data;  /* every kind but stability */
	const struct chart_rtt *rtt;    /* CHART_K_STABILITY */
	const struct chart_named *named; /* CHART_K_SERIES */
};

/* Summary of a stability test (what the report message needs). */
#define CHART_RTT_OUTAGES_LISTED 8
struct chart_rtt_stats {
	size_t sent, lost;
	double loss_pct, avg_ms, jitter_ms; /* jitter: mean |difference| of consecutive replies */
	size_t outages;                     /* runs of loss lasting 3 s or more */
	/* the first CHART_RTT_OUTAGES_LISTED of them: packet index, packets lost */
	struct { size_t first, n; } outage[CHART_RTT_OUTAGES_LISTED];
};
void chart_rtt_stats(const struct chart_rtt *rtt, struct chart_rtt_stats *st);
/* The same from the float RTTs an agent's chunks are kept in (NaN or < 0 =
 * lost), without a copy. */
void chart_rtt_stats_f(const float *rtt_ms, size_t n, int32_t interval_ms, struct chart_rtt_stats *st);

/* The outcome of a render. Owned by the caller: init with chart_result_init,
 * release the PNG with chart_result_free (safe on any inited result). */
struct chart_result {
	unsigned char *png;    /* malloc'd PNG file bytes; NULL unless CHART_OK */
	size_t png_len;
	char err[160];         /* user-facing reason when not CHART_OK */
	char title[192];       /* the title as drawn (UTF-8) */
	char unit[16];         /* y-axis unit as drawn: "%", "Mbit/s", "MiB", "ms" */
	int nseries;           /* series drawn (those with at least one value) */
	/* Geometry, for tests and for callers that annotate. Pixels; boxes are
	 * {x, y, w, h}; an absent box has w == 0. */
	int width, height;
	int plot[4];           /* the data area */
	int title_box[4], legend_box[4], unit_box[4];
	double t_lo, t_hi;     /* x range: unix seconds at plot left and right edges */
	double y_lo, y_hi;     /* y range in axis units at plot bottom and top edges */
	uint32_t color[CHART_MAX_SERIES]; /* 0xRRGGBB of each series drawn */
	int missing_glyphs;    /* characters the font lacks (drawn as a box) */
	size_t peak_bytes;     /* most memory this render held: its own buffers and
	                          the encoder's (filtered rows, deflate output) */
};

void chart_result_init(struct chart_result *r);
void chart_result_free(struct chart_result *r);

/* Renders a chart to PNG. Returns CHART_OK or a negative CHART_E* with
 * r->err set; CHART_ENODATA when the range holds no value of any series the
 * kind draws (the caller answers "no data", never an empty picture).
 * A series is not joined across an interval over twice its median interval
 * (the original's rule) nor across a missing value; a stretch where no drawn
 * series has samples is hatched, including before the first and after the
 * last sample of an asked-for range. */
int chart_render(const struct chart_opts *opts, const struct chart_req *req,
                 struct chart_result *r);

#endif
