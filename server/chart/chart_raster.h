/* chart_raster.h — private to the chart module (server/chart/): an RGB canvas
 * with anti-aliased drawing (capsule lines of any width, rectangles, dashes,
 * hatching) and a coverage mask for polylines with clean joins
 * (chart_raster.c: chart_mem_*, chart_cv_*, chart_mask_*), the embedded font
 * (chart_text.c: chart_font_*, chart_text_*, chart_utf8_next) and the PNG
 * encoder (chart_png.c: chart_png_*). All state is in the caller's structs. */
#ifndef MONBOT_CHART_RASTER_H
#define MONBOT_CHART_RASTER_H

#include <stddef.h>
#include <stdint.h>

/* Memory accounting for one render: peak bytes held, so tests can show the
 * bound is the canvas and not the number of samples. */
struct chart_mem {
	size_t cur, peak;
};
void *chart_mem_alloc(struct chart_mem *m, size_t n);      /* zeroed */
void *chart_mem_alloc_raw(struct chart_mem *m, size_t n, int zero);
void chart_mem_free(struct chart_mem *m, void *p, size_t n);

struct chart_canvas {
	uint8_t *px; /* RGB, row-major, stride w*3 */
	int w, h;
};

void chart_cv_clear(struct chart_canvas *c, uint32_t rgb);
/* Blends rgb at alpha*coverage (0..255 coverage) into one pixel; no bounds check. */
static inline void chart_cv_blend(struct chart_canvas *c, int x, int y, uint32_t rgb, unsigned a255)
{
	uint8_t *p = c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
	unsigned ia = 255 - a255;
	p[0] = (uint8_t)((p[0] * ia + ((rgb >> 16) & 255) * a255 + 127) / 255);
	p[1] = (uint8_t)((p[1] * ia + ((rgb >> 8) & 255) * a255 + 127) / 255);
	p[2] = (uint8_t)((p[2] * ia + (rgb & 255) * a255 + 127) / 255);
}
/* Rectangle with anti-aliased fractional edges. */
void chart_cv_rect(struct chart_canvas *c, double x0, double y0, double x1, double y1, uint32_t rgb, double alpha);
/* Segment of width w with round caps. */
void chart_cv_line(struct chart_canvas *c, double x0, double y0, double x1, double y1, double w, uint32_t rgb,
                   double alpha);
/* Dashed segment: on/off lengths in pixels along the line. */
void chart_cv_dashed(struct chart_canvas *c, double x0, double y0, double x1, double y1, double w, double on,
                     double off, uint32_t rgb, double alpha);
/* "//" hatching inside the integer rectangle [x0,x1) x [y0,y1): lines rising to
 * the right every `spacing` pixels, anchored to the canvas so neighbouring
 * areas line up. */
void chart_cv_hatch(struct chart_canvas *c, int x0, int y0, int x1, int y1, double spacing, double w,
                    uint32_t rgb, double alpha);

/* Coverage mask over a sub-rectangle of the canvas: a polyline drawn as
 * capsules combined with max() has round, seam-free joins; it is then blended
 * once. Segments are clipped to the mask, so lines never leave the plot. */
struct chart_mask {
	uint8_t *m;
	int ox, oy, w, h;            /* canvas position and size */
	int dx0, dy0, dx1, dy1;      /* dirty box, mask coordinates, [x0,x1) */
};
int chart_mask_init(struct chart_mask *k, struct chart_mem *mem, int ox, int oy, int w, int h);
void chart_mask_free(struct chart_mask *k, struct chart_mem *mem);
void chart_mask_segment(struct chart_mask *k, double x0, double y0, double x1, double y1, double r);
void chart_mask_dot(struct chart_mask *k, double x, double y, double r);
/* Blends rgb at alpha*coverage into the canvas and clears the mask. */
void chart_mask_paint(struct chart_mask *k, struct chart_canvas *c, uint32_t rgb, double alpha);

/* Text in the embedded font. A font handle carries a per-render glyph cache. */
struct chart_glyph;
struct chart_font {
	unsigned char info[256]; /* stbtt_fontinfo, opaque here */
	struct chart_mem *mem;
	struct chart_glyph **slot;     /* open-addressed cache */
	unsigned nslots, used;
	int missing;             /* codepoints drawn as .notdef */
};
int chart_font_init(struct chart_font *f, struct chart_mem *mem);
void chart_font_free(struct chart_font *f);
/* Vertical metrics at pixel size px (positive ascent, positive descent). */
void chart_font_vmetrics(struct chart_font *f, double px, double *ascent, double *descent);
double chart_text_width(struct chart_font *f, const char *utf8, double px);
/* Draws at (x, baseline); returns the pen x after the text. */
double chart_text_draw(struct chart_canvas *c, struct chart_font *f, const char *utf8, double x, double baseline,
                       double px, uint32_t rgb);
/* Cuts s (a buffer of cap bytes, in place) to fit max_w, ending it with "…"
 * when cut. */
void chart_text_fit(struct chart_font *f, char *s, size_t cap, double px, double max_w);
/* Decodes one UTF-8 character. A stray byte reads as U+FFFD and advances by
 * one; a well-formed but overlong or surrogate sequence is one U+FFFD. */
uint32_t chart_utf8_next(const char **s);

/* PNG of the canvas with stbi_write_png_to_func and our deflate; *out is
 * malloc'd. Returns 0 or -1. */
int chart_png_encode(const struct chart_canvas *c, unsigned char **out, size_t *out_len, size_t max_len);
/* zlib stream (RFC 1950/1951) of in[0..n), malloc'd; the fast run-length
 * deflate the PNG writer uses. NULL on failure. */
unsigned char *chart_png_deflate(const unsigned char *in, size_t n, size_t *out_len);

#endif
