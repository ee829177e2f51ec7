/* session_out.c — what an agent session sends: WebSocket frames within
 * the output limit, the {"commands": [...], "ack": <ts|null>} reply, our
 * close frame and the closing phase. The bottom of the session layer:
 * session.c and results.c call it, it calls only the transport. */
#include "server/session.h"

#include <string.h>

#include "server/metrics.h"
#include "server/server.h"
#include "server/net/transport.h"
#include "wire/json.h"
#include "wire/ws.h"

/* ---- WebSocket output ---- */

int session_ws_send(struct client *c, unsigned op, const void *p, size_t n)
{
	char *d;
	size_t ol;
	if (c->dead)
		return -1;
	d = transport_reserve(c, n + WS_HDR_MAX);
	if (!d)
		return -1;
	if (ws_frame_encode(&c->ws, op, 1, p, n, (uint8_t *)d, n + WS_HDR_MAX, &ol) != WS_OK)
		return -1; /* after our close: nothing more goes out */
	obuf_commit(&c->out, ol);
	return 0;
}

/* Nothing more is read; the connection goes once its output is written
 * (or at the deadline). */
void session_closing(struct client *c)
{
	transport_set_state(c, CL_CLOSING);
	c->reading = 0;
	c->close_after = 1;
	ev_timer_start(c->srv->loop, &c->timer, CLIENT_CLOSING_MS);
}

/* Our close frame; the connection goes once it is written. */
void session_close_with(struct client *c, unsigned code, const char *reason)
{
	uint8_t fr[WS_CTRL_FRAME_MAX];
	size_t n;
	if (c->dead || c->st == CL_CLOSING)
		return;
	if (ws_close_encode(&c->ws, (uint16_t)code, reason, strlen(reason), fr, sizeof(fr), &n) == WS_OK) {
		mx.ws_closed[metrics_close_index(code)]++;
		if (transport_append(c, fr, n) != 0)
			return;
	}
	session_closing(c);
}

/* {"commands": [...], "ack": <the agent's ts of one sample, or null>} */
int session_reply(struct client *c, const char *const *cmds, size_t n, int64_t ack_ms)
{
	char buf[SESSION_CMDS_MAX * (STORE_CMD_MAX * 2 + 8) + 128];
	struct json_w w;
	size_t len;

	json_init(&w, buf, sizeof(buf));
	json_obj_open(&w);
	json_key(&w, "commands");
	json_arr_open(&w);
	for (size_t i = 0; i < n; i++)
		json_str(&w, cmds[i]);
	json_arr_close(&w);
	json_key(&w, "ack");
	if (ack_ms == SESSION_ACK_NONE)
		json_null(&w);
	else
		json_num(&w, (double)ack_ms / 1000.0, 3);
	json_obj_close(&w);
	if (json_finish(&w, &len) != JSON_OK)
		return -1;
	if (session_ws_send(c, WS_OP_TEXT, buf, len) != 0)
		return -1;
	mx.replies_sent++;
	mx.commands_sent += n;
	return 0;
}


int session_may_resume(const struct client *c)
{
	return c->pending < SESSION_PENDING_MAX && c->dbwork < SESSION_DBWORK_MAX && !c->srv->stopping && !c->held;
}

int session_send_reply(struct client *c, const char *const *cmds, size_t n)
{
	return session_reply(c, cmds, n, SESSION_ACK_NONE);
}

