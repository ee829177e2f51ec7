/* chart_raster.c — anti-aliased drawing into an RGB canvas. Lines are
 * capsules: a pixel's coverage is r + 0.5 - distance(pixel centre, segment),
 * clamped to 0..1, which gives any width, round caps and exact joins when
 * segments are combined with max() in a mask. Rows are scanned only where the
 * capsule can reach, so a tall segment costs its length, not its box. */
#include "server/chart/chart_raster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void *chart_mem_alloc(struct chart_mem *m, size_t n)
{
	return chart_mem_alloc_raw(m, n, 1);
}

void *chart_mem_alloc_raw(struct chart_mem *m, size_t n, int zero)
{
	void *p = zero ? calloc(1, n ? n : 1) : malloc(n ? n : 1);
	if (p) {
		m->cur += n;
		if (m->cur > m->peak)
			m->peak = m->cur;
	}
	return p;
}

void chart_mem_free(struct chart_mem *m, void *p, size_t n)
{
	if (!p)
		return;
	free(p);
	m->cur -= n;
}

void chart_cv_clear(struct chart_canvas *c, uint32_t rgb)
{
	size_t n = (size_t)c->w * (size_t)c->h;
	uint8_t r = (uint8_t)(rgb >> 16), g = (uint8_t)(rgb >> 8), b = (uint8_t)rgb;
	if (r == g && g == b) {
		memset(c->px, r, n * 3);
		return;
	}
	for (size_t i = 0; i < (size_t)c->w; i++) {
		c->px[i * 3] = r;
		c->px[i * 3 + 1] = g;
		c->px[i * 3 + 2] = b;
	}
	for (int y = 1; y < c->h; y++)
		memcpy(c->px + (size_t)y * (size_t)c->w * 3, c->px, (size_t)c->w * 3);
}

static unsigned a255(double a)
{
	if (!(a > 0))
		return 0;
	if (a >= 1)
		return 255;
	return (unsigned)(a * 255 + 0.5);
}

/* Overlap of pixel [i, i+1) with [a, b). */
static double span_cov(double a, double b, int i)
{
	double lo = a > i ? a : i, hi = b < i + 1 ? b : i + 1;
	return hi > lo ? hi - lo : 0;
}

void chart_cv_rect(struct chart_canvas *c, double x0, double y0, double x1, double y1, uint32_t rgb, double alpha)
{
	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > c->w)
		x1 = c->w;
	if (y1 > c->h)
		y1 = c->h;
	if (!(x1 > x0) || !(y1 > y0) || !(alpha > 0))
		return;
	int ix0 = (int)floor(x0), ix1 = (int)ceil(x1), iy0 = (int)floor(y0), iy1 = (int)ceil(y1);
	/* Fully covered pixels all get the same blend: a lookup per channel. */
	unsigned a = a255(alpha), ia = 255 - a;
	uint8_t lut[3][256];
	for (int ch = 0; ch < 3; ch++) {
		unsigned col = (rgb >> (16 - 8 * ch)) & 255;
		for (unsigned v = 0; v < 256; v++)
			lut[ch][v] = (uint8_t)((v * ia + col * a + 127) / 255);
	}
	for (int y = iy0; y < iy1; y++) {
		double cy = span_cov(y0, y1, y);
		uint8_t *row = c->px + ((size_t)y * (size_t)c->w) * 3;
		for (int x = ix0; x < ix1; x++) {
			double cx = (x == ix0 || x == ix1 - 1) ? span_cov(x0, x1, x) : 1;
			if (cx * cy >= 1) {
				uint8_t *p = row + (size_t)x * 3;
				p[0] = lut[0][p[0]];
				p[1] = lut[1][p[1]];
				p[2] = lut[2][p[2]];
			} else {
				unsigned aa = a255(alpha * cx * cy);
				if (aa)
					chart_cv_blend(c, x, y, rgb, aa);
			}
		}
	}
}

/* Liang–Barsky: clips the segment to [bx0,bx1]x[by0,by1]; 0 if nothing is left. */
static int clip_segment(double *x0, double *y0, double *x1, double *y1, double bx0, double by0,
                        double bx1, double by1)
{
	double dx = *x1 - *x0, dy = *y1 - *y0, t0 = 0, t1 = 1;
	double p[4] = {-dx, dx, -dy, dy};
	double q[4] = {*x0 - bx0, bx1 - *x0, *y0 - by0, by1 - *y0};
	for (int i = 0; i < 4; i++) {
		if (p[i] == 0) {
			if (q[i] < 0)
				return 0;
			continue;
		}
		double t = q[i] / p[i];
		if (p[i] < 0) {
			if (t > t1)
				return 0;
			if (t > t0)
				t0 = t;
		} else {
			if (t < t0)
				return 0;
			if (t < t1)
				t1 = t;
		}
	}
	double ox = *x0, oy = *y0;
	*x0 = ox + t0 * dx;
	*y0 = oy + t0 * dy;
	*x1 = ox + t1 * dx;
	*y1 = oy + t1 * dy;
	return 1;
}

typedef void (*put_fn)(void *ctx, int x, int y, unsigned cov);

/* Visits every pixel of [cx0,cx1)x[cy0,cy1) the capsule of radius r around
 * the segment touches, with its coverage 1..255. */
static void capsule(double x0, double y0, double x1, double y1, double r, int cx0, int cy0, int cx1,
                    int cy1, put_fn put, void *ctx)
{
	if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1) || !(r > 0))
		return;
	double R = r + 0.5;
	if (!clip_segment(&x0, &y0, &x1, &y1, cx0 - R - 1, cy0 - R - 1, cx1 + R + 1, cy1 + R + 1))
		return;
	double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
	double inner2 = r > 0.5 ? (r - 0.5) * (r - 0.5) : -1, R2 = R * R;
	int ya = (int)floor(fmin(y0, y1) - R), yb = (int)ceil(fmax(y0, y1) + R);
	if (ya < cy0)
		ya = cy0;
	if (yb > cy1 - 1)
		yb = cy1 - 1;
	for (int py = ya; py <= yb; py++) {
		double yc = py + 0.5;
		/* The part of the segment within R of this row bounds the x range. */
		double xlo, xhi;
		if (dy == 0) {
			if (fabs(y0 - yc) > R)
				continue;
			xlo = fmin(x0, x1);
			xhi = fmax(x0, x1);
		} else {
			double ta = (yc - R - y0) / dy, tb = (yc + R - y0) / dy;
			if (ta > tb) {
				double t = ta;
				ta = tb;
				tb = t;
			}
			if (ta < 0)
				ta = 0;
			if (tb > 1)
				tb = 1;
			if (ta > tb)
				continue;
			double xa = x0 + ta * dx, xb = x0 + tb * dx;
			xlo = fmin(xa, xb);
			xhi = fmax(xa, xb);
		}
		int pa = (int)floor(xlo - R - 0.5), pb = (int)ceil(xhi + R - 0.5);
		if (pa < cx0)
			pa = cx0;
		if (pb > cx1 - 1)
			pb = cx1 - 1;
		for (int px = pa; px <= pb; px++) {
			double xc = px + 0.5, ex = xc - x0, ey = yc - y0;
			double t = len2 > 0 ? (ex * dx + ey * dy) / len2 : 0;
			if (t < 0)
				t = 0;
			else if (t > 1)
				t = 1;
			double fx = ex - t * dx, fy = ey - t * dy, d2 = fx * fx + fy * fy;
			if (d2 >= R2)
				continue;
			unsigned cov;
			if (d2 <= inner2)
				cov = 255;
			else {
				double cv = R - sqrt(d2);
				cov = cv >= 1 ? 255 : (unsigned)(cv * 255 + 0.5);
			}
			if (cov)
				put(ctx, px, py, cov);
		}
	}
}

struct blend_ctx {
	struct chart_canvas *c;
	uint32_t rgb;
	unsigned alpha; /* 0..256 */
};

static void put_blend(void *ctx, int x, int y, unsigned cov)
{
	struct blend_ctx *b = ctx;
	unsigned a = (cov * b->alpha) >> 8;
	if (a)
		chart_cv_blend(b->c, x, y, b->rgb, a);
}

static unsigned a256(double a)
{
	if (!(a > 0))
		return 0;
	return a >= 1 ? 256 : (unsigned)(a * 256 + 0.5);
}

void chart_cv_line(struct chart_canvas *c, double x0, double y0, double x1, double y1, double w, uint32_t rgb,
                   double alpha)
{
	double r = w / 2;
	if (r < 0.5) { /* hairline: keep the shape, fade the colour */
		alpha *= w;
		r = 0.5;
	}
	struct blend_ctx b = {c, rgb, a256(alpha)};
	if (b.alpha)
		capsule(x0, y0, x1, y1, r, 0, 0, c->w, c->h, put_blend, &b);
}

void chart_cv_dashed(struct chart_canvas *c, double x0, double y0, double x1, double y1, double w, double on,
                     double off, uint32_t rgb, double alpha)
{
	double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
	if (!(len > 0) || !(on > 0) || off < 0)
		return;
	double ux = dx / len, uy = dy / len;
	/* Round caps add w/2 at each end; shorten dashes so the gaps stay open. */
	double cap = w / 2 < 0.5 ? 0.5 : w / 2;
	for (double s = 0; s < len; s += on + off) {
		double e = fmin(s + on, len);
		double a = s + cap, b = e - cap;
		if (b < a)
			a = b = (s + e) / 2;
		chart_cv_line(c, x0 + ux * a, y0 + uy * a, x0 + ux * b, y0 + uy * b, w, rgb, alpha);
	}
}

void chart_cv_hatch(struct chart_canvas *c, int x0, int y0, int x1, int y1, double spacing, double w,
                    uint32_t rgb, double alpha)
{
	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > c->w)
		x1 = c->w;
	if (y1 > c->h)
		y1 = c->h;
	int sp = (int)(spacing + 0.5);
	if (sp < 3)
		sp = 3;
	if (sp > 256)
		sp = 256;
	if (x1 <= x0 || y1 <= y0)
		return;
	/* Lines x + y = k*sp (y down: rising to the right). A pixel centre's
	 * distance to the nearest line depends only on (x + y + 1) mod sp. */
	unsigned char cov[256];
	double r = w / 2 < 0.5 ? 0.5 : w / 2;
	for (int m = 0; m < sp; m++) {
		double d = fmin(m, sp - m) / sqrt(2.0);
		double v = r + 0.5 - d;
		cov[m] = (unsigned char)a255(v * alpha * (w < 1 ? w : 1));
	}
	for (int y = y0; y < y1; y++) {
		int m = (x0 + y + 1) % sp;
		for (int x = x0; x < x1; x++) {
			if (cov[m])
				chart_cv_blend(c, x, y, rgb, cov[m]);
			if (++m == sp)
				m = 0;
		}
	}
}

int chart_mask_init(struct chart_mask *k, struct chart_mem *mem, int ox, int oy, int w, int h)
{
	memset(k, 0, sizeof(*k));
	k->m = chart_mem_alloc(mem, (size_t)w * (size_t)h);
	if (!k->m)
		return -1;
	k->ox = ox;
	k->oy = oy;
	k->w = w;
	k->h = h;
	k->dx0 = w;
	k->dy0 = h;
	return 0;
}

void chart_mask_free(struct chart_mask *k, struct chart_mem *mem)
{
	chart_mem_free(mem, k->m, (size_t)k->w * (size_t)k->h);
	k->m = NULL;
}

static void put_mask(void *ctx, int x, int y, unsigned cov)
{
	struct chart_mask *k = ctx;
	uint8_t *p = k->m + (size_t)y * (size_t)k->w + (size_t)x;
	if (cov > *p)
		*p = (uint8_t)cov;
	if (x < k->dx0)
		k->dx0 = x;
	if (x >= k->dx1)
		k->dx1 = x + 1;
	if (y < k->dy0)
		k->dy0 = y;
	if (y >= k->dy1)
		k->dy1 = y + 1;
}

void chart_mask_segment(struct chart_mask *k, double x0, double y0, double x1, double y1, double r)
{
	if (r < 0.5)
		r = 0.5;
	capsule(x0 - k->ox, y0 - k->oy, x1 - k->ox, y1 - k->oy, r, 0, 0, k->w, k->h, put_mask, k);
}

void chart_mask_dot(struct chart_mask *k, double x, double y, double r)
{
	chart_mask_segment(k, x, y, x, y, r);
}

void chart_mask_paint(struct chart_mask *k, struct chart_canvas *c, uint32_t rgb, double alpha)
{
	unsigned al = a256(alpha);
	for (int y = k->dy0; y < k->dy1; y++) {
		uint8_t *row = k->m + (size_t)y * (size_t)k->w;
		for (int x = k->dx0; x < k->dx1; x++) {
			if (row[x]) {
				unsigned a = (row[x] * al) >> 8;
				if (a)
					chart_cv_blend(c, x + k->ox, y + k->oy, rgb, a);
			}
		}
		if (k->dx1 > k->dx0)
			memset(row + k->dx0, 0, (size_t)(k->dx1 - k->dx0));
	}
	k->dx0 = k->w;
	k->dy0 = k->h;
	k->dx1 = k->dy1 = 0;
}
