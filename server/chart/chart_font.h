/* chart_font.h — the chart font, compiled in by server/chart/fontembed.c (DejaVu Sans
 * from fonts-dejavu-core at build time), so no font file is read at run time. */
#ifndef MONBOT_CHART_FONT_H
#define MONBOT_CHART_FONT_H

#include <stddef.h>

extern const unsigned char chart_font_ttf[];
extern const size_t chart_font_ttf_len;

#endif
