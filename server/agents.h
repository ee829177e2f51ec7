/* agents.h — what the server holds in memory per key while it runs: the
 * connection that speaks for the key now, the latest values (for /metrics
 * and the bot's /status), and the latest results of commands that are not
 * stored as samples (text, diag, the status oneshot, stability chunks), as
 * the original kept LATEST_TEXT/LATEST_DIAG/LATEST_STATUS. The bot learns
 * of each through the hook. Loop thread only; every area is bounded. */
#ifndef MONBOT_SERVER_AGENTS_H
#define MONBOT_SERVER_AGENTS_H

#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"
#include "wire/fleet.h"
#include "wire/sample.h"

#define AGENT_TEXT_MAX   (64u << 10)   /* a text result kept: 64 KiB */
#define AGENT_DIAG_MAX   (4u << 20)    /* a diagnostics report: 4 MiB */
#define AGENT_STAB_MAX   (1u << 20)    /* stability RTTs kept per agent */
#define AGENT_STAB_TOTAL (16u << 20)   /* ... and over all agents */

#define AGENT_ID_KEY_LEN 32

struct client;

struct agent_stability {
	double start_ts;        /* the test's start (unix s); NAN before any */
	unsigned interval_ms;
	float *rtts;            /* ms, NAN = lost */
	size_t n, cap;
	uint64_t dropped;       /* values past the caps */
	int done;
	char error[256];        /* the agent's error, "" when none */
	int64_t updated;        /* unix s of the last chunk */
};

struct agent {
	char secret[STORE_SECRET_MAX + 1];
	char nickname[STORE_NAME_MAX + 1];
	char id[17];                 /* HMAC of the secret under the table's id_key, for labels */
	struct client *conn;         /* newest open session, NULL when offline */
	unsigned nconns;             /* open sessions with this key */
	int64_t connected_since;     /* unix s of conn's start */
	int64_t last_seen;           /* unix s of the last message */
	int64_t last_stamp;          /* last ts stamped for a sample without ts */
	size_t msg_total;            /* message assembly memory of its sessions */
	/* a key used by more than one host (AGENT_EV_KEY_SHARED) */
	char hostname[128];          /* host.hostname its sessions report ("" none yet) */
	char other_host[128];        /* a different one seen while connected */
	uint64_t sessions_refused;   /* past MAX_SESSIONS_PER_KEY, since start */
	int64_t refused_reported;    /* unix s of the last report of a refusal */
	/* latest metric sample (scalars, disks' fullest) */
	int has_latest;
	int64_t latest_ts;
	double latest[SK__COUNT];
	double latest_load1, latest_disk_pct;
	/* results for the bot */
	char *text;                  /* NUL-terminated; NULL none */
	int64_t text_ts;
	char *diag;                  /* diag_ok == 0: the failure text (may be "") */
	int diag_ok, has_diag;
	int64_t diag_ts;
	struct fleet *fleet;         /* latest sample's fleet keys (wire/fleet.h), NULL none yet */
	int64_t fleet_ts;
	struct sample *oneshot;      /* latest answer to `status` */
	int64_t oneshot_ts;
	struct agent_stability stab;
	struct agent *hnext, *next, *prev;
};

enum agent_event_kind {
	AGENT_EV_CONNECTED,
	AGENT_EV_DISCONNECTED,
	AGENT_EV_SAMPLE,        /* a metric sample (before it is stored) */
	AGENT_EV_ONESHOT,       /* the answer to `status` (agent->oneshot) */
	AGENT_EV_TEXT,          /* agent->text */
	AGENT_EV_DIAG,          /* agent->diag / diag_ok */
	AGENT_EV_STABILITY,     /* a chunk was added (agent->stab; done when finished) */
	AGENT_EV_CMD_EXPIRED,   /* a queued command expired undelivered: tell cmd->chat_id */
	AGENT_EV_GOING_DOWN,    /* the agent answered a reboot/shutdown (cmd) that it is going down */
	AGENT_EV_KEY_SHARED     /* a second host uses the key: agent->other_host differs from
	                         * agent->hostname, or a session past MAX_SESSIONS_PER_KEY was
	                         * refused (agent->sessions_refused); for the owner */
};

struct agent_event {
	enum agent_event_kind kind;
	struct agent *agent;          /* NULL for CMD_EXPIRED of a key not in memory */
	const struct sample *sample;  /* SAMPLE, ONESHOT */
	const struct fleet *fleet;    /* SAMPLE: its fleet keys, NULL when it has none */
	int64_t ts;                   /* SAMPLE: the ts the server gave it */
	const struct store_cmd *cmd;  /* CMD_EXPIRED, GOING_DOWN */
};

/* The bot's hook; runs on the loop thread and must not block. */
typedef void (*agent_hook_fn)(void *ctx, const struct agent_event *ev);

#define AGENT_HASH_SIZE 4096

struct agent_table {
	struct agent *bucket[AGENT_HASH_SIZE];
	struct agent *all;       /* every agent, newest first */
	size_t n;
	size_t stab_total;       /* RTT values held over all agents */
	uint8_t id_key[AGENT_ID_KEY_LEN]; /* the server's own secret for agent ids */
};

void agents_init(struct agent_table *t);
/* The key agent ids are derived with: the id label of /metrics is the first
 * 8 bytes of HMAC-SHA1(key, secret) in hex, so it identifies a key across
 * restarts without being a fingerprint anyone can compute from the secret.
 * Set before the first agents_get. */
void agents_set_id_key(struct agent_table *t, const uint8_t key[AGENT_ID_KEY_LEN]);
/* Reads the key from path (64 hex digits), or makes a random one and
 * writes it there, created 0600 and exclusively. 0, or -1 with err. */
int agents_id_key_load(const char *path, uint8_t key[AGENT_ID_KEY_LEN], char *err, size_t errlen);
/* HMAC-SHA1 (RFC 2104) of msg under key (keylen <= 64). */
void agents_hmac_sha1(const uint8_t *key, size_t keylen, const void *msg, size_t len,
                      uint8_t out[20]);
void agents_free(struct agent_table *t);
struct agent *agents_find(struct agent_table *t, const char *secret);
/* Finds or creates (NULL when out of memory). */
struct agent *agents_get(struct agent_table *t, const char *secret);
/* Forgets a key (deleted): its session must be gone or closing. */
void agents_remove(struct agent_table *t, struct agent *a);

/* Result areas: each replaces the previous one (copies, truncated to the
 * caps above at a UTF-8 boundary). Return 0, or -1 when out of memory. */
int agents_set_text(struct agent *a, const char *text, size_t len, int64_t now);
int agents_set_diag(struct agent *a, const char *text, size_t len, int ok, int64_t now);
int agents_set_oneshot(struct agent *a, const struct sample *s, int64_t now);
/* The latest sample's fleet keys (a copy); 0, or -1 out of memory. */
int agents_set_fleet(struct agent *a, const struct fleet *f, int64_t ts);
/* 1 when a sample carried any fleet key. */
int agents_fleet_any(const struct fleet *f);
void agents_set_latest(struct agent *a, const struct sample *s, int64_t ts);
/* Starts a new test when start_ts differs from the current one; appends
 * rtts (NAN = lost). */
int agents_stab_add(struct agent_table *t, struct agent *a, double start_ts,
                   unsigned interval_ms, const float *rtts, size_t n, int done,
                   const char *error, int64_t now);

/* A session of a reported host.hostname. Returns 1 when it is a second
 * host on the key (another session is open and named a different one),
 * reported once per name (agent->other_host), else 0. */
int agents_host_seen(struct agent *a, const char *hostname);

/* Length of the longest prefix of s[0..len) no longer than max that does
 * not cut a UTF-8 sequence. */
size_t agents_utf8_cut(const char *s, size_t len, size_t max);

#endif
