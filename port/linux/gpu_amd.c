/* gpu_amd.c — AMD GPUs through the amdgpu driver's sysfs files: device/
 * gpu_busy_percent, mem_info_vram_used and _total (bytes), and the card's
 * hwmon temp1_input (millidegrees, "edge") and power1_average (microwatts). */
#include "port/linux/linux.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define AMD_MAX 8

static struct {
	int n;
	struct {
		char dev[320];
		char hwmon[400];
		char name[96];
	} card[AMD_MAX];
} amd;

static int hwmon_first(const char *name, void *arg)
{
	char *out = arg;
	if (strncmp(name, "hwmon", 5) == 0 && (!out[0] || strcmp(name, out) < 0))
		snprintf(out, 32, "%s", name);
	return 0;
}

static int card_cb(const char *name, void *arg)
{
	char dev[320], path[400], buf[128], hw[32] = "";
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
	snprintf(amd.card[i].dev, sizeof(amd.card[i].dev), "%s", dev);
	snprintf(path, sizeof(path), "%s/hwmon", dev);
	lx_dir_each(path, hwmon_first, hw);
	amd.card[i].hwmon[0] = '\0';
	if (hw[0])
		snprintf(amd.card[i].hwmon, sizeof(amd.card[i].hwmon), "%s/hwmon/%s", dev, hw);
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

void lx_amd_find(void)
{
	char dir[512];
	memset(&amd, 0, sizeof(amd));
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
		char path[480];
		uint64_t v, used, total;
		int64_t t;
		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", amd.card[i].name);
		snprintf(o->vendor, sizeof(o->vendor), "amd");
		snprintf(path, sizeof(path), "%s/gpu_busy_percent", amd.card[i].dev);
		o->util = (lx_read_u64(path, &v) == PORT_OK && v <= 100) ? (double)v : NAN;
		o->vram_used = o->vram_total = PORT_NA;
		snprintf(path, sizeof(path), "%s/mem_info_vram_used", amd.card[i].dev);
		if (lx_read_u64(path, &used) == PORT_OK) {
			snprintf(path, sizeof(path), "%s/mem_info_vram_total", amd.card[i].dev);
			if (lx_read_u64(path, &total) == PORT_OK && used <= total && total > 0) {
				o->vram_used = used >> 20;
				o->vram_total = total >> 20;
			}
		}
		o->temp = o->power_w = NAN;
		if (amd.card[i].hwmon[0]) {
			snprintf(path, sizeof(path), "%s/temp1_input", amd.card[i].hwmon);
			if (lx_read_i64(path, &t) == PORT_OK && t > -60000 && t < 200000)
				o->temp = t / 1000.0;
			snprintf(path, sizeof(path), "%s/power1_average", amd.card[i].hwmon);
			if (lx_read_u64(path, &v) != PORT_OK) {
				snprintf(path, sizeof(path), "%s/power1_input", amd.card[i].hwmon);
				if (lx_read_u64(path, &v) != PORT_OK)
					v = PORT_NA;
			}
			if (v != PORT_NA && v < 10000000000ull)
				o->power_w = (double)v / 1e6;
		}
		(*n)++;
	}
	return PORT_OK;
}
