/* chart_fmt.c — the texts on a chart: times in the viewer's zone (a civil
 * date from days since the epoch, no libc time zone), spans, numbers. */
#include "server/chart/chart_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 -> civil date (H. Hinnant's algorithm). */
static void civil(int64_t days, int *y, int *m, int *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static const char *const mon[2][12] = {
	{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	{"янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"},
};

void chart_fmt_time(char *b, size_t n, double t, int32_t off, enum chart_tfmt f, int lang)
{
	int64_t lt = (int64_t)floor(t) + off;
	int64_t day = chart_floor_div(lt, 86400), sod = lt - day * 86400;
	int y, m, d;
	civil(day, &y, &m, &d);
	int hh = (int)(sod / 3600), mm = (int)(sod / 60 % 60), ss = (int)(sod % 60);
	const char *mn = mon[lang][m - 1];
	switch (f) {
	case CHART_T_HMS: snprintf(b, n, "%02d:%02d:%02d", hh, mm, ss); break;
	case CHART_T_HM: snprintf(b, n, "%02d:%02d", hh, mm); break;
	case CHART_T_DATE: snprintf(b, n, "%d %s", d, mn); break;
	case CHART_T_DATE_HM: snprintf(b, n, "%d %s %02d:%02d", d, mn, hh, mm); break;
	case CHART_T_DATE_HMS: snprintf(b, n, "%d %s %02d:%02d:%02d", d, mn, hh, mm, ss); break;
	}
}

void chart_fmt_span(char *b, size_t n, double secs, int lang)
{
	static const char *const u[2][4] = {{"d", "h", "min", "s"}, {"д", "ч", "мин", "с"}};
	int64_t s = (int64_t)(secs + 0.5);
	int64_t parts[4] = {s / 86400, s / 3600 % 24, s / 60 % 60, s % 60};
	int first;
	if (s >= 2 * 86400) {
		first = 0;
	} else if (s >= 3600) {
		first = 1;
		parts[1] = s / 3600;
	} else if (s >= 60) {
		first = 2;
		parts[2] = s / 60;
	} else {
		first = 3;
	}
	size_t len = 0;
	b[0] = 0;
	for (int i = first; i < 4 && i <= first + 1; i++) {
		if (i > first && parts[i] == 0)
			continue;
		int w = snprintf(b + len, n - len, "%s%lld %s", len ? " " : "", (long long)parts[i], u[lang][i]);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
}

void chart_fmt_num(char *b, size_t n, double v, int dec)
{
	if (fabs(v) >= 1e7) {
		snprintf(b, n, "%.3g", v);
		return;
	}
	snprintf(b, n, "%.*f", dec, v);
	if (!strncmp(b, "-0", 2) && strspn(b + 2, ".0") == strlen(b + 2))
		memmove(b, b + 1, strlen(b)); /* no "-0" */
}
