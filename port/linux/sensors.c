/* sensors.c — CPU temperature from hwmon chips, then thermal zones
 * (SPEC §4 order); sources are found once at start-up and kept open. */
#include "port/port.h"
#include "port/linux/linux.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- temperature ------------------------------------------------------- */

struct hwmon_scan {
	int best_rank;
};

static const char *const temp_chips[] = {"coretemp", "k10temp", "cpu_thermal"};

/* The lowest-numbered tempN_input of a hwmon directory (psutil's first). */
static int lowest_temp_input(const char *dir, char *out, size_t cap)
{
	for (int i = 1; i <= 32; i++) {
		if (snprintf(out, cap, "%s/temp%d_input", dir, i) >= (int)cap)
			return -1;
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -1;
}

static int hwmon_cb(const char *name, void *arg)
{
	char dir[512], path[600], chip[64];
	(void)arg;
	if (strncmp(name, "hwmon", 5) != 0)
		return 0;
	if (lx_path(dir, sizeof(dir), "/sys/class/hwmon/%s", name) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/name", dir);
	if (lx_read_abs(path, chip, sizeof(chip), NULL) != PORT_OK)
		return 0;
	chip[strcspn(chip, "\n")] = '\0';
	for (int r = 0; r < 3; r++) {
		if (strcmp(chip, temp_chips[r]) != 0 || lx.file[LX_F_TEMP + r].path[0])
			continue;
		if (lowest_temp_input(dir, path, sizeof(path)) == 0)
			lx_file_open(&lx.file[LX_F_TEMP + r], path);
	}
	return 0;
}

/* "thermal_zone10" after "thermal_zone2": the number, not the text (a
 * shorter name of the same prefix is the lower number). */
static int zone_before(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return la != lb ? la < lb : strcmp(a, b) < 0;
}

/* Thermal zones after the named chips: the first zone whose type names the
 * CPU or package, else the first zone at all. */
static int zone_cb(const char *name, void *arg)
{
	char path[512], type[64];
	int *best = arg;
	int rank;
	if (strncmp(name, "thermal_zone", 12) != 0)
		return 0;
	if (lx_path(path, sizeof(path), "/sys/class/thermal/%s/type", name) < 0 ||
	    lx_read_abs(path, type, sizeof(type), NULL) != PORT_OK)
		return 0;
	rank = (strstr(type, "cpu") || strstr(type, "x86_pkg") || strstr(type, "soc")) ? 0 : 1;
	/* Among equals, the lower zone number (directory order is not sorted). */
	if (rank < *best || (rank == *best && zone_before(name, lx.zone_name))) {
		if (lx_path(path, sizeof(path), "/sys/class/thermal/%s/temp", name) < 0 ||
		    lx_file_open(&lx.file[LX_F_TEMP + 3], path) < 0)
			return 0;
		*best = rank;
		snprintf(lx.zone_name, sizeof(lx.zone_name), "%s", name);
	}
	return 0;
}

void lx_temp_find(void)
{
	char dir[512];
	int best = 99;
	for (int i = 0; i < LX_TEMP_SOURCES; i++) {
		lx_file_close(&lx.file[LX_F_TEMP + i]);
		lx.file[LX_F_TEMP + i].path[0] = '\0';
	}
	lx.zone_name[0] = '\0';
	if (lx_path(dir, sizeof(dir), "/sys/class/hwmon") == 0)
		lx_dir_each(dir, hwmon_cb, NULL);
	if (lx_path(dir, sizeof(dir), "/sys/class/thermal") == 0)
		lx_dir_each(dir, zone_cb, &best);
}

int port_cpu_temp(double *celsius)
{
	int rc = PORT_ENOTAVAIL;
	for (int i = 0; i < LX_TEMP_SOURCES; i++) {
		int64_t milli;
		struct lx_file *f = &lx.file[LX_F_TEMP + i];
		if (!f->path[0])
			continue;
		/* A sensor answering garbage or an impossible value is skipped for
		 * the next source in the order. */
		if (lx_file_i64(f, &milli) != PORT_OK || milli < -60000 || milli > 200000) {
			rc = PORT_EPARSE;
			continue;
		}
		*celsius = (double)milli / 1000.0;
		return PORT_OK;
	}
	return rc;
}
