/* session.h — agent WebSocket sessions (SPEC §3, §5), above HTTP and the
 * transport: samples to the store with the reply owed until the commit,
 * texts, diagnostics and stability chunks kept for the bot (through the
 * hook), a {"commands": [...], "ack": <ts>} reply after every agent
 * message, pings and the idle drop. Loop thread only. */
#ifndef MONBOT_SERVER_SESSION_H
#define MONBOT_SERVER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "server/net/client.h"
#include "server/store/store.h"
#include "server/store/store_keys.h"

#define SESSION_PENDING_MAX  512        /* samples awaiting the store before reading pauses */
#define SESSION_CMDS_MAX     32         /* queued commands handed out per connect */
#define SESSION_TOKENS_MAX   32768      /* JSON tokens a message may have: a stability chunk of 10 000 fits */
#define SESSION_ACK_NONE     INT64_MIN  /* a reply that acknowledges no sample */
#define SESSION_DBWORK_MAX   8          /* other database calls pending before reading pauses */

/* The key was checked: answer the upgrade and start the session with the
 * commands queued for the key. newest is not used: acks name what this
 * session delivered (SPEC §3), never a key's newest row. */
void session_start(struct client *c, const char *nickname, int64_t newest,
                   const struct store_cmd *cmds, int ncmds);
/* session_out.c: {"commands": [...], "ack": null}; 0, or -1 when it could
 * not be queued. session_reply names the sample it acknowledges (the
 * agent's ts in ms, or SESSION_ACK_NONE). */
int session_send_reply(struct client *c, const char *const *cmds, size_t n);
int session_reply(struct client *c, const char *const *cmds, size_t n, int64_t ack_ms);
/* A frame of opcode op; -1 when the client was closed or is closing. */
int session_ws_send(struct client *c, unsigned op, const void *p, size_t n);
/* Our close frame; the connection goes once it is written. */
void session_close_with(struct client *c, unsigned code, const char *reason);
/* Nothing more is read; the connection goes once its output is written. */
void session_closing(struct client *c);

/* The transport's handlers while in CL_WS (server.c dispatches by state). */
void session_read(struct client *c);
void session_timeout(struct client *c);
int session_may_resume(const struct client *c);
/* While sessions are held for the storage queue: reads them again once it
 * is down to STORE_RELEASE_PCT (server.hold_timer). */
void session_hold_tick(struct ev_loop *loop, struct ev_timer *t, void *arg);
/* On close: the agent's table entry lets go of this connection. */
void session_detach(struct client *c);

/* The store's fd is readable: commits and refusals, turned into acks. */
struct ev_loop;
void session_on_store_fd(struct ev_loop *loop, int fd, int events, void *arg);

#endif
