/* Fuzz target for the chart module's parsers: the input is a /plot command
 * line (split on spaces, as Telegram's arguments arrive) and, after a
 * newline, a host name rendered into the title (any bytes: UTF-8 decoding,
 * missing glyphs, ellipsis). Built with libFuzzer by `make fuzz`; its kept
 * inputs (tests/fuzz/fuzz_chart/) are replayed by `make test`
 * (tests/fuzz/module.mk). */
#include "server/chart/chart.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[512];
	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = 0;
	char *host = strchr(buf, '\n');
	if (host)
		*host++ = 0;
	const char *argv[32];
	int argc = 0;
	for (char *s = strtok(buf, " "); s && argc < 32; s = strtok(NULL, " "))
		argv[argc++] = s;
	struct chart_plot p;
	char err[160];
	int rc = chart_plot_parse(argc, argv, argc % 2 ? CHART_RU : CHART_EN, &p, err, sizeof(err));
	if (rc != CHART_OK && !err[0])
		abort(); /* every refusal explains itself */
	(void)chart_parse_span(argc ? argv[0] : "");

	static int64_t ts[64];
	static double v[64];
	for (int i = 0; i < 64; i++) {
		ts[i] = 1764000000 + 60 * i;
		v[i] = i % 9 == 4 ? NAN : (double)(i * 37 % 101);
	}
	struct chart_data d = {.ts = ts, .n = 64};
	for (int m = 0; m < CHART_M_COUNT; m++)
		d.col[m].v = v;
	struct chart_opts o = {.width = CHART_MIN_W, .height = CHART_MIN_H, .host = host,
	                       .lang = size % 2 ? CHART_RU : CHART_EN};
	struct chart_req q = {.kind = rc == CHART_OK ? CHART_K_CUSTOM : CHART_K_METRIC, .plot = &p,
	                      .metric = CHART_M_CPU, .data = &d};
	struct chart_result r;
	chart_result_init(&r);
	rc = chart_render(&o, &q, &r);
	if (rc == CHART_OK && (!r.png || r.png_len < 8 || memcmp(r.png, "\x89PNG", 4)))
		abort();
	chart_result_free(&r);
	return 0;
}
