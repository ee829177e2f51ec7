/* chart_text.c — anti-aliased text in the embedded DejaVu Sans (Latin,
 * Cyrillic, Greek, symbols), rasterised with stb_truetype into a glyph cache
 * that belongs to one render. Pen positions keep quarter pixels, so spacing
 * is even at every size; kerning comes from the font. */
#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_STATIC
#include <stb/stb_truetype.h>

#include "server/chart/chart_font.h"
#include "server/chart/chart_raster.h"

#include <math.h>
#include <string.h>

_Static_assert(sizeof(stbtt_fontinfo) <= sizeof(((struct chart_font *)0)->info), "font info buffer");

#define SLOTS 1024      /* cache entries per render; past 3/4 full, glyphs are not kept */
#define PHASES 4        /* sub-pixel pen positions */

struct chart_glyph {
	int gi, size_q, phase;
	int xoff, yoff, w, h;
	size_t bytes;
	unsigned char bmp[];
};

#define INFO(f) ((stbtt_fontinfo *)(void *)(f)->info)

int chart_font_init(struct chart_font *f, struct chart_mem *mem)
{
	memset(f, 0, sizeof(*f));
	f->mem = mem;
	if (!stbtt_InitFont(INFO(f), chart_font_ttf, stbtt_GetFontOffsetForIndex(chart_font_ttf, 0)))
		return -1;
	f->slot = chart_mem_alloc(mem, SLOTS * sizeof(*f->slot));
	if (!f->slot)
		return -1;
	f->nslots = SLOTS;
	return 0;
}

void chart_font_free(struct chart_font *f)
{
	if (!f->slot)
		return;
	for (unsigned i = 0; i < f->nslots; i++)
		if (f->slot[i])
			chart_mem_free(f->mem, f->slot[i], f->slot[i]->bytes);
	chart_mem_free(f->mem, f->slot, f->nslots * sizeof(*f->slot));
	f->slot = NULL;
}

uint32_t chart_utf8_next(const char **sp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	uint32_t c = s[0];
	int n = 0;
	uint32_t min = 0;
	if (c < 0x80) {
		*sp += 1;
		return c;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		*sp += 1;
		return 0xfffd;
	}
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*sp += 1;
			return 0xfffd;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	*sp += n + 1;
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0xfffd;
	return c;
}

static float scale_for(struct chart_font *f, double px)
{
	return stbtt_ScaleForMappingEmToPixels(INFO(f), (float)px);
}

void chart_font_vmetrics(struct chart_font *f, double px, double *ascent, double *descent)
{
	int a, d, g;
	stbtt_GetFontVMetrics(INFO(f), &a, &d, &g);
	float s = scale_for(f, px);
	*ascent = a * s;
	*descent = -d * s;
}

static int glyph_index(struct chart_font *f, uint32_t cp, int count_missing)
{
	int gi = stbtt_FindGlyphIndex(INFO(f), (int)cp);
	if (!gi && count_missing && cp >= 0x20)
		f->missing++;
	return gi;
}

/* Advance of each glyph plus kerning, in pixels, without rounding. */
double chart_text_width(struct chart_font *f, const char *s, double px)
{
	float sc = scale_for(f, px);
	double w = 0;
	int prev = -1;
	while (*s) {
		uint32_t cp = chart_utf8_next(&s);
		if (cp < 0x20)
			continue;
		int gi = glyph_index(f, cp, 0), adv, lsb;
		if (prev >= 0)
			w += stbtt_GetGlyphKernAdvance(INFO(f), prev, gi) * sc;
		stbtt_GetGlyphHMetrics(INFO(f), gi, &adv, &lsb);
		w += adv * sc;
		prev = gi;
	}
	return w;
}

static struct chart_glyph *glyph_get(struct chart_font *f, int gi, double px, int phase, int *temp)
{
	int size_q = (int)(px * 64 + 0.5);
	unsigned h = ((unsigned)gi * 2654435761u) ^ ((unsigned)size_q * 40503u) ^ (unsigned)phase;
	unsigned i = h & (f->nslots - 1);
	*temp = 0;
	while (f->slot[i]) {
		struct chart_glyph *g = f->slot[i];
		if (g->gi == gi && g->size_q == size_q && g->phase == phase)
			return g;
		i = (i + 1) & (f->nslots - 1);
	}
	float sc = scale_for(f, px), sx = (float)phase / PHASES;
	int x0, y0, x1, y1;
	stbtt_GetGlyphBitmapBoxSubpixel(INFO(f), gi, sc, sc, sx, 0, &x0, &y0, &x1, &y1);
	int w = x1 - x0, hh = y1 - y0;
	if (w < 0 || hh < 0 || w > 1024 || hh > 1024)
		w = hh = 0;
	size_t bytes = sizeof(struct chart_glyph) + (size_t)w * (size_t)hh;
	struct chart_glyph *g = chart_mem_alloc(f->mem, bytes);
	if (!g)
		return NULL;
	g->gi = gi;
	g->size_q = size_q;
	g->phase = phase;
	g->xoff = x0;
	g->yoff = y0;
	g->w = w;
	g->h = hh;
	g->bytes = bytes;
	if (w && hh)
		stbtt_MakeGlyphBitmapSubpixel(INFO(f), g->bmp, w, hh, w, sc, sc, sx, 0, gi);
	if (f->used < f->nslots * 3 / 4) {
		f->slot[i] = g;
		f->used++;
	} else {
		*temp = 1;
	}
	return g;
}

double chart_text_draw(struct chart_canvas *c, struct chart_font *f, const char *s, double x, double baseline,
                       double px, uint32_t rgb)
{
	float sc = scale_for(f, px);
	int by = (int)floor(baseline + 0.5), prev = -1;
	while (*s) {
		uint32_t cp = chart_utf8_next(&s);
		if (cp < 0x20)
			continue;
		int gi = glyph_index(f, cp, 1), adv, lsb, temp;
		if (prev >= 0)
			x += stbtt_GetGlyphKernAdvance(INFO(f), prev, gi) * sc;
		prev = gi;
		double fl = floor(x);
		int phase = (int)((x - fl) * PHASES);
		if (phase >= PHASES)
			phase = PHASES - 1;
		struct chart_glyph *g = glyph_get(f, gi, px, phase, &temp);
		if (g) {
			int gx = (int)fl + g->xoff, gy = by + g->yoff;
			for (int yy = 0; yy < g->h; yy++) {
				int cy = gy + yy;
				if (cy < 0 || cy >= c->h)
					continue;
				const unsigned char *row = g->bmp + (size_t)yy * (size_t)g->w;
				for (int xx = 0; xx < g->w; xx++) {
					int cx = gx + xx;
					if (row[xx] && cx >= 0 && cx < c->w)
						chart_cv_blend(c, cx, cy, rgb, row[xx]);
				}
			}
			if (temp)
				chart_mem_free(f->mem, g, g->bytes);
		}
		stbtt_GetGlyphHMetrics(INFO(f), gi, &adv, &lsb);
		x += adv * sc;
	}
	return x;
}

void chart_text_fit(struct chart_font *f, char *s, size_t cap, double px, double max_w)
{
	if (chart_text_width(f, s, px) <= max_w)
		return;
	static const char ell[] = "\xe2\x80\xa6"; /* … */
	double ew = chart_text_width(f, ell, px);
	size_t len = strlen(s);
	/* Drop whole characters from the end until the rest and "…" fit. */
	while (len > 0) {
		do
			len--;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80);
		char save = s[len];
		s[len] = 0;
		double w = chart_text_width(f, s, px);
		s[len] = save;
		if (w + ew <= max_w)
			break;
	}
	if (len + sizeof(ell) <= cap)
		memcpy(s + len, ell, sizeof(ell));
	else
		s[len] = 0;
}
