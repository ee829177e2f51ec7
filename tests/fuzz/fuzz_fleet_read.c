/* fuzz_fleet_read.c — the fleet sources' parsers (agent-min/fleet_read.c):
 * the first byte picks one (Docker list, stats, inspect, an HTTP reply, NUT
 * LIST UPS / LIST VAR, apcupsd frames, smartctl, busctl, a textfile, the
 * NVMe page), the rest is its input. What comes out is in range, its
 * strings NUL-terminated without control characters, and writes as JSON
 * that reads back. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent-min/fleet_read.h"
#include "wire/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jsmntok_t tok[4096];
static struct fleet f;
static char ids[FLEET_MAX_CONTAINERS][FR_ID];
static char out[1 << 17];
static jsmntok_t otok[16384];

static void clean_or_trap(const char *s, size_t cap)
{
	const char *z = memchr(s, '\0', cap);
	if (!z)
		__builtin_trap();
	for (; s < z; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			__builtin_trap();
}

static void check_out(void)
{
	struct json_w w;
	struct jsonr r;
	size_t len;
	for (int i = 0; i < f.ncontainers; i++) {
		clean_or_trap(f.containers[i].name, FLEET_NAME);
		if (f.containers[i].state > FLEET_ST__COUNT || f.containers[i].health > FLEET_H_STARTING)
			__builtin_trap();
	}
	for (int i = 0; i < f.nunits; i++)
		clean_or_trap(f.units_failed[i], FLEET_NAME);
	clean_or_trap(f.ups.name, sizeof(f.ups.name));
	clean_or_trap(f.ups.status, sizeof(f.ups.status));
	if (!isnan(f.ups.charge) && !(f.ups.charge >= 0 && f.ups.charge <= 100))
		__builtin_trap();
	json_init(&w, out, sizeof(out));
	json_obj_open(&w);
	fleet_json_members(&w, &f);
	json_obj_close(&w);
	if (json_finish(&w, &len) != JSON_OK || jsonr_parse(&r, out, len, otok, 16384, 16) != JSONR_OK)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	size_t n, off, bl;
	int st, k = 0;
	uint64_t a, b;
	double m;
	int64_t rs;
	if (size < 1)
		return 0;
	n = size - 1;
	buf = malloc(n + 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, n);
	buf[n] = '\0';
	fleet_clear(&f);
	switch (data[0] % 11) {
	case 0:
		fr_docker_list(buf, n, tok, 4096, data[0] & 0x10 ? 1 : 0, f.containers, ids, FLEET_MAX_CONTAINERS, &k);
		f.has_containers = 1;
		f.ncontainers = k;
		break;
	case 1:
		fr_docker_stats(buf, n, tok, 4096, &a, &b, &m);
		if (!isnan(m) && m < 0)
			__builtin_trap();
		break;
	case 2:
		fr_docker_inspect(buf, n, tok, 4096, &rs);
		if (rs < -1)
			__builtin_trap();
		break;
	case 3:
		if (fr_http_body(buf, n, data[0] & 0x10, &st, &off, &bl) == FR_OK && (off > n || bl > n - off))
			__builtin_trap();
		break;
	case 4: {
		char name[64] = "";
		fr_nut_ups(buf, n, name, sizeof(name));
		clean_or_trap(name, sizeof(name));
		break;
	}
	case 5:
		fr_nut_vars(buf, n, &f.ups);
		f.has_ups = 1;
		break;
	case 6:
		fr_apc_status((const uint8_t *)buf, n, &f.ups);
		f.has_ups = 1;
		break;
	case 7:
		f.nsmart = fr_smartctl(buf, n, tok, 4096, &f.smart[0]) == FR_OK;
		f.has_smart = 1;
		if (f.nsmart)
			for (int i = 0; i < f.smart[0].nattrs; i++)
				clean_or_trap(f.smart[0].attrs[i].name, sizeof(f.smart[0].attrs[i].name));
		break;
	case 8:
		fr_busctl_units(buf, n, tok, 4096, f.units_failed, FLEET_MAX_UNITS, &k);
		f.has_units = 1;
		f.nunits = k;
		break;
	case 9:
		fr_textfile(buf, n, data[0] & 0x10, f.custom, FLEET_MAX_CUSTOM, &k);
		f.has_custom = 1;
		f.ncustom = k;
		for (int i = 0; i < k; i++)
			if (!isfinite(f.custom[i].value) || !memchr(f.custom[i].key, '\0', FLEET_CUSTOM_KEY))
				__builtin_trap();
		break;
	default:
		if (n >= 512) {
			fr_nvme_health((const uint8_t *)buf, &f.smart[0]);
			f.has_smart = 1;
			f.nsmart = 1;
		}
		break;
	}
	check_out();
	free(buf);
	return 0;
}
