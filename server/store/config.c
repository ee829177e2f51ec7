/* config.c — the storage settings of SPEC §2 (defaults and NAME=value
 * parsing) and the readable text of the STORE_E* codes. Calls nothing else
 * of the store. */
#include "server/store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *store_strerror(int rc)
{
	switch (rc) {
	case STORE_OK: return "ok";
	case STORE_EDB: return "database error";
	case STORE_EDOWN: return "database unavailable";
	case STORE_ENOKEY: return "no such key";
	case STORE_EEXIST: return "name already taken";
	case STORE_EAMBIG: return "several keys have that name";
	case STORE_EFULL: return "storage queue full";
	case STORE_EINVAL: return "invalid argument";
	case STORE_ENOMEM: return "out of memory";
	case STORE_ENOTFOUND: return "not found";
	case STORE_ESTOPPED: return "storage stopping";
	default: return rc > 0 ? "ok" : "unknown error";
	}
}

void store_config_defaults(struct store_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = STORE_SQLITE;
	snprintf(cfg->sqlite_path, sizeof(cfg->sqlite_path), "monbot.db");
	snprintf(cfg->mysql_host, sizeof(cfg->mysql_host), "127.0.0.1");
	cfg->mysql_port = 3306;
	snprintf(cfg->mysql_user, sizeof(cfg->mysql_user), "root");
	snprintf(cfg->mysql_db, sizeof(cfg->mysql_db), "monitoring");
	cfg->retention_days = 30;
	cfg->hour_retention_days = 365;
	cfg->command_ttl = 600;
	cfg->sqlite_synchronous = 2;
	cfg->max_buffered_rows = 200000;
	cfg->max_buffered_bytes = 96u << 20;
	cfg->reconnect_ms = 1000;
	cfg->shutdown_wait_ms = 30000;
}

static int parse_int(const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int set_str(char *dst, size_t cap, const char *name, const char *v, char *err)
{
	if (strlen(v) >= cap) {
		snprintf(err, STORE_ERR_LEN, "%s is too long (at most %zu bytes)", name, cap - 1);
		return STORE_EINVAL;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 1;
}

int store_config_set(struct store_config *cfg, const char *name, const char *v, char err[STORE_ERR_LEN])
{
	long x;
	if (!strcmp(name, "DB")) {
		if (!strcmp(v, "sqlite"))
			cfg->kind = STORE_SQLITE;
		else if (!strcmp(v, "mysql"))
			cfg->kind = STORE_MYSQL;
		else {
			snprintf(err, STORE_ERR_LEN, "DB must be sqlite or mysql (got \"%s\")", v);
			return STORE_EINVAL;
		}
		return 1;
	}
	if (!strcmp(name, "SQLITE_PATH")) {
		if (!*v) {
			snprintf(err, STORE_ERR_LEN, "SQLITE_PATH is empty");
			return STORE_EINVAL;
		}
		return set_str(cfg->sqlite_path, sizeof(cfg->sqlite_path), name, v, err);
	}
	if (!strcmp(name, "MYSQL_HOST"))
		return set_str(cfg->mysql_host, sizeof(cfg->mysql_host), name, v, err);
	if (!strcmp(name, "MYSQL_USER"))
		return set_str(cfg->mysql_user, sizeof(cfg->mysql_user), name, v, err);
	if (!strcmp(name, "MYSQL_PASSWORD"))
		return set_str(cfg->mysql_password, sizeof(cfg->mysql_password), name, v, err);
	if (!strcmp(name, "MYSQL_SOCKET"))
		return set_str(cfg->mysql_socket, sizeof(cfg->mysql_socket), name, v, err);
	if (!strcmp(name, "MYSQL_DB")) {
		size_t n = strlen(v);
		int ok = n > 0 && n <= 64;
		for (size_t i = 0; ok && i < n; i++)
			ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
			     (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '$';
		if (!ok) {
			snprintf(err, STORE_ERR_LEN, "MYSQL_DB must be 1-64 letters, digits, _ or $ (got \"%s\")", v);
			return STORE_EINVAL;
		}
		return set_str(cfg->mysql_db, sizeof(cfg->mysql_db), name, v, err);
	}
	if (!strcmp(name, "MYSQL_PORT")) {
		if (parse_int(v, 1, 65535, &x)) {
			snprintf(err, STORE_ERR_LEN, "MYSQL_PORT must be 1-65535 (got \"%s\")", v);
			return STORE_EINVAL;
		}
		cfg->mysql_port = (unsigned)x;
		return 1;
	}
	if (!strcmp(name, "RETENTION_DAYS")) {
		if (parse_int(v, 1, 36500, &x)) {
			snprintf(err, STORE_ERR_LEN, "RETENTION_DAYS must be 1-36500 (got \"%s\")", v);
			return STORE_EINVAL;
		}
		cfg->retention_days = (int)x;
		return 1;
	}
	if (!strcmp(name, "STORE_BUFFER_MB")) {
		if (parse_int(v, 1, 65536, &x)) {
			snprintf(err, STORE_ERR_LEN, "STORE_BUFFER_MB must be 1-65536 (got \"%s\")", v);
			return STORE_EINVAL;
		}
		cfg->max_buffered_bytes = (size_t)x << 20;
		return 1;
	}
	if (!strcmp(name, "COMMAND_TTL")) {
		if (parse_int(v, 1, 365L * 86400, &x)) {
			snprintf(err, STORE_ERR_LEN, "COMMAND_TTL must be a number of seconds >= 1 (got \"%s\")", v);
			return STORE_EINVAL;
		}
		cfg->command_ttl = (int)x;
		return 1;
	}
	return 0;
}
