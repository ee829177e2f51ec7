/* gpu_amd.c — AMD GPUs through the amdgpu driver's sysfs files: device/
 * gpu_busy_percent, mem_info_vram_used and _total (bytes), and the card's
 * hwmon temp1_input (millidegrees, "edge") and power1_average (microwatts),
 * found at start-up and kept open (kept.c). */
#include "port/linux/linux.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define AMD_MAX 8

enum { AMD_BUSY, AMD_VRAM_USED, AMD_VRAM_TOTAL, AMD_TEMP, AMD_POWER, AMD_FILES };

static struct {
	int n;
	struct {
		char dev[320];
		char name[96];
		struct lx_file f[AMD_FILES];
	} card[AMD_MAX];
} amd;

/* The card's files: those of the device, and of its first hwmon directory
 * when it has one (power1_average, else power1_input on newer kernels). */
static void card_open(int i, const char *hwmon)
{
	static const char *const dev_files[] = {"gpu_busy_percent", "mem_info_vram_used", "mem_info_vram_total"};
	char path[512];
	for (int k = 0; k < 3; k++)
		if (snprintf(path, sizeof(path), "%s/%s", amd.card[i].dev, dev_files[k]) < (int)sizeof(path))
			lx_file_open(&amd.card[i].f[k], path);
	if (!hwmon[0])
		return;
	if (snprintf(path, sizeof(path), "%s/temp1_input", hwmon) < (int)sizeof(path))
		lx_file_open(&amd.card[i].f[AMD_TEMP], path);
	if (snprintf(path, sizeof(path), "%s/power1_average", hwmon) < (int)sizeof(path) &&
	    lx_file_open(&amd.card[i].f[AMD_POWER], path) == 0 && amd.card[i].f[AMD_POWER].open)
		return;
	if (snprintf(path, sizeof(path), "%s/power1_input", hwmon) < (int)sizeof(path))
		lx_file_open(&amd.card[i].f[AMD_POWER], path);
}

static int hwmon_first(const char *name, void *arg)
{
	char *out = arg;
	if (strncmp(name, "hwmon", 5) == 0 && (!out[0] || strcmp(name, out) < 0))
		snprintf(out, 32, "%s", name);
	return 0;
}

static int card_cb(const char *name, void *arg)
{
	char dev[320], path[400], buf[128], hw[32] = "", hwmon[400] = "";
	const char *p = name + 4;
	(void)arg;
	if (strncmp(name, "card", 4) != 0 || !*p)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0; /* card0-DP-1 and other connectors */
	if (amd.n >= AMD_MAX || lx_path(dev, sizeof(dev), "/sys/class/drm/%s/device", name) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/vendor", dev);
	if (lx_read_abs(path, buf, sizeof(buf), NULL) != PORT_OK || strncmp(buf, "0x1002", 6) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/gpu_busy_percent", dev);
	if (access(path, R_OK) != 0)
		return 0;
	int i = amd.n++;
	for (int k = 0; k < AMD_FILES; k++)
		amd.card[i].f[k].path[0] = '\0'; /* closed by lx_amd_close */
	snprintf(amd.card[i].dev, sizeof(amd.card[i].dev), "%s", dev);
	snprintf(path, sizeof(path), "%s/hwmon", dev);
	lx_dir_each(path, hwmon_first, hw);
	if (hw[0])
		snprintf(hwmon, sizeof(hwmon), "%s/hwmon/%s", dev, hw);
	card_open(i, hwmon);
	snprintf(path, sizeof(path), "%s/product_name", dev);
	if (lx_read_abs(path, buf, sizeof(buf), NULL) == PORT_OK && buf[0] && buf[0] != '\n') {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(amd.card[i].name, sizeof(amd.card[i].name), "%.95s", buf);
	} else {
		char id[32] = "";
		snprintf(path, sizeof(path), "%s/device", dev);
		if (lx_read_abs(path, id, sizeof(id), NULL) == PORT_OK)
			id[strcspn(id, "\n")] = '\0';
		snprintf(amd.card[i].name, sizeof(amd.card[i].name), "AMD GPU %s", id);
	}
	return 0;
}

void lx_amd_close(void)
{
	for (int i = 0; i < amd.n; i++)
		for (int k = 0; k < AMD_FILES; k++)
			lx_file_close(&amd.card[i].f[k]);
	amd.n = 0;
}

void lx_amd_find(void)
{
	char dir[512];
	/* No memset of the table: a host without cards never touches its
	 * pages (RSS); card_cb clears each entry it takes. */
	lx_amd_close();
	if (lx_path(dir, sizeof(dir), "/sys/class/drm") == 0)
		lx_dir_each(dir, card_cb, NULL);
	/* getdents order is not sorted: order cards by path (card0, card1...). */
	for (int i = 1; i < amd.n; i++)
		for (int j = i; j > 0 && strcmp(amd.card[j - 1].dev, amd.card[j].dev) > 0; j--) {
			char tmp[sizeof(amd.card[0])];
			memcpy(tmp, &amd.card[j], sizeof(tmp));
			memcpy(&amd.card[j], &amd.card[j - 1], sizeof(tmp));
			memcpy(&amd.card[j - 1], tmp, sizeof(tmp));
		}
}

int lx_amd_list(struct port_gpu *g, int max, int *n)
{
	for (int i = 0; i < amd.n && *n < max; i++) {
		struct port_gpu *o = &g[*n];
		struct lx_file *f = amd.card[i].f;
		uint64_t v, used, total;
		int64_t t;
		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", amd.card[i].name);
		snprintf(o->vendor, sizeof(o->vendor), "amd");
		o->util = (lx_file_u64(&f[AMD_BUSY], &v) == PORT_OK && v <= 100) ? (double)v : NAN;
		o->vram_used = o->vram_total = PORT_NA;
		if (lx_file_u64(&f[AMD_VRAM_USED], &used) == PORT_OK &&
		    lx_file_u64(&f[AMD_VRAM_TOTAL], &total) == PORT_OK && used <= total && total > 0) {
			o->vram_used = used >> 20;
			o->vram_total = total >> 20;
		}
		o->temp = o->power_w = NAN;
		if (f[AMD_TEMP].path[0] && lx_file_i64(&f[AMD_TEMP], &t) == PORT_OK && t > -60000 && t < 200000)
			o->temp = t / 1000.0;
		if (f[AMD_POWER].path[0] && lx_file_u64(&f[AMD_POWER], &v) == PORT_OK && v < 10000000000ull)
			o->power_w = (double)v / 1e6;
		(*n)++;
	}
	return PORT_OK;
}
