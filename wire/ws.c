/* ws.c — RFC 6455 frame codec (an incremental state machine over the
 * caller's bytes) and the frame encoder. The HTTP side of the opening
 * handshake is in ws_handshake.c. */
#include "wire/ws.h"

#include <stddef.h>
#include <string.h>

enum { ST_HDR, ST_PAYLOAD, ST_DONE };

#define UTF8_FAIL 0xFFFFFFFFu

void ws_init(struct ws *ws, enum ws_role role, uint64_t max_message,
             ws_random_fn rnd, void *rnd_ctx)
{
	memset(ws, 0, sizeof *ws);
	ws->role = (uint8_t)role;
	ws->max_message = max_message ? max_message : WS_MAX_MESSAGE_DEFAULT;
	ws->rnd = rnd;
	ws->rnd_ctx = rnd_ctx;
	ws->state = ST_HDR;
	ws->hdr_need = 2;
}

int ws_utf8_check(uint32_t *state, const uint8_t *s, size_t len)
{
	uint32_t st = *state;
	size_t i = 0;

	if (st == UTF8_FAIL)
		return -1;
	while (i < len) {
		uint8_t c = s[i];
		if (st == 0) {
			/* ASCII runs eight bytes at a time */
			while (i + 8 <= len) {
				uint64_t w;
				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			if (i == len)
				break;
			c = s[i++];
			if (c < 0x80)
				continue;
			/* Unicode Table 3-7: C0, C1 and F5..FF never start a character;
			 * E0/ED/F0/F4 narrow the second byte (overlong, surrogates,
			 * past U+10FFFF). */
			if (c < 0xC2 || c > 0xF4)
				goto bad;
			if (c < 0xE0)
				st = 1u | 0x80u << 8 | 0xBFu << 16;
			else if (c < 0xF0)
				st = 2u | (c == 0xE0 ? 0xA0u : 0x80u) << 8 | (c == 0xED ? 0x9Fu : 0xBFu) << 16;
			else
				st = 3u | (c == 0xF0 ? 0x90u : 0x80u) << 8 | (c == 0xF4 ? 0x8Fu : 0xBFu) << 16;
		} else {
			uint32_t n;
			i++;
			if (c < ((st >> 8) & 0xFF) || c > ((st >> 16) & 0xFF))
				goto bad;
			n = (st & 0xFF) - 1;
			st = n ? (n | 0x80u << 8 | 0xBFu << 16) : 0;
		}
	}
	*state = st;
	return 0;
bad:
	*state = UTF8_FAIL;
	return -1;
}

int ws_close_code_valid(unsigned code)
{
	/* RFC 6455 §7.4.1/§7.4.2 and the IANA registry (1012-1014 added later);
	 * 1004-1006 and 1015 must never be on the wire. */
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

void ws_mask(uint8_t *buf, size_t len, const uint8_t mask[4], uint64_t offset)
{
	unsigned k = (unsigned)(offset & 3);
	uint8_t m8[8];
	uint64_t m, w;
	size_t i;

	for (i = 0; i < 8; i++)
		m8[i] = mask[(k + i) & 3];
	memcpy(&m, m8, 8);
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, buf + i, 8);
		w ^= m;
		memcpy(buf + i, &w, 8);
	}
	for (; i < len; i++)
		buf[i] ^= mask[(k + i) & 3];
}

/* Header for a frame of len bytes; masking key drawn on a client. */
static int put_header(struct ws *ws, unsigned opcode, int fin, uint64_t len,
                      uint8_t hdr[WS_HDR_MAX], size_t *hdr_len, uint8_t mask[4])
{
	size_t n = 0;
	int masked = ws->role == WS_ROLE_CLIENT;

	hdr[n++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		hdr[n++] = (uint8_t)((masked ? 0x80 : 0) | len);
	} else if (len <= 0xFFFF) {
		hdr[n++] = (uint8_t)((masked ? 0x80 : 0) | 126);
		hdr[n++] = (uint8_t)(len >> 8);
		hdr[n++] = (uint8_t)len;
	} else {
		hdr[n++] = (uint8_t)((masked ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			hdr[n++] = (uint8_t)(len >> (8 * i));
	}
	if (masked) {
		if (!ws->rnd || ws->rnd(ws->rnd_ctx, mask, 4) != 0)
			return WS_ERANDOM;
		memcpy(hdr + n, mask, 4);
		n += 4;
	}
	*hdr_len = n;
	return WS_OK;
}

/* Checks an outgoing frame against the fragmentation state; updates it. */
static int out_sequence(struct ws *ws, unsigned opcode, int fin, uint64_t len)
{
	if (ws->close_sent || ws->failed)
		return WS_ESTATE;
	switch (opcode) {
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!fin || len > WS_CTRL_MAX)
			return WS_EINVAL;
		return WS_OK;
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (ws->out_msg_op)
			return WS_EINVAL;
		ws->out_msg_op = fin ? 0 : (uint8_t)opcode;
		return WS_OK;
	case WS_OP_CONT:
		if (!ws->out_msg_op)
			return WS_EINVAL;
		if (fin)
			ws->out_msg_op = 0;
		return WS_OK;
	default: /* close goes through ws_close_encode */
		return WS_EINVAL;
	}
}

int ws_frame_header(struct ws *ws, unsigned opcode, int fin, uint64_t len,
                    uint8_t hdr[WS_HDR_MAX], size_t *hdr_len,
                    uint8_t mask[4], int *masked)
{
	uint8_t saved = ws->out_msg_op;
	int rc;

	*hdr_len = 0;
	*masked = ws->role == WS_ROLE_CLIENT;
	rc = out_sequence(ws, opcode, fin, len);
	if (rc == WS_OK && (rc = put_header(ws, opcode, fin, len, hdr, hdr_len, mask)) != WS_OK)
		ws->out_msg_op = saved;
	return rc;
}

/* Whole frame into out; no state change. */
static int encode_raw(struct ws *ws, unsigned opcode, const void *payload, size_t len,
                      uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t hdr[WS_HDR_MAX], mask[4];
	size_t hl;
	int rc;

	*out_len = 0;
	/* Size check first so a short buffer costs no random bytes. */
	hl = 2 + (len < 126 ? 0 : len <= 0xFFFF ? 2 : 8) + (ws->role == WS_ROLE_CLIENT ? 4 : 0);
	if (cap < hl || cap - hl < len)
		return WS_ENOSPC;
	rc = put_header(ws, opcode, 1, len, hdr, &hl, mask);
	if (rc != WS_OK)
		return rc;
	/* fin is patched by the caller for fragments */
	memcpy(out, hdr, hl);
	if (len)
		memmove(out + hl, payload, len);
	if (ws->role == WS_ROLE_CLIENT)
		ws_mask(out + hl, len, mask, 0);
	*out_len = hl + len;
	return WS_OK;
}

int ws_frame_encode(struct ws *ws, unsigned opcode, int fin,
                    const void *payload, size_t len,
                    uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t saved = ws->out_msg_op;
	int rc;

	*out_len = 0;
	rc = out_sequence(ws, opcode, fin, len);
	if (rc != WS_OK)
		return rc;
	rc = encode_raw(ws, opcode, payload, len, out, cap, out_len);
	if (rc != WS_OK) {
		ws->out_msg_op = saved;
		return rc;
	}
	if (!fin)
		out[0] &= 0x7F;
	return WS_OK;
}

/* Close frame body: code (0 = none) and reason. */
static int encode_close(struct ws *ws, uint16_t code, const uint8_t *reason, size_t rlen,
                        uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t body[WS_CTRL_MAX];
	size_t n = 0;

	if (code) {
		body[n++] = (uint8_t)(code >> 8);
		body[n++] = (uint8_t)code;
		if (rlen)
			memcpy(body + n, reason, rlen);
		n += rlen;
	}
	return encode_raw(ws, WS_OP_CLOSE, body, n, out, cap, out_len);
}

int ws_close_encode(struct ws *ws, uint16_t code, const char *reason, size_t reason_len,
                    uint8_t *out, size_t cap, size_t *out_len)
{
	uint32_t u = 0;
	int rc;

	*out_len = 0;
	if (ws->close_sent || ws->failed)
		return WS_ESTATE;
	if ((code && !ws_close_code_valid(code)) || (!code && reason_len) ||
	    reason_len > WS_CTRL_MAX - 2 ||
	    ws_utf8_check(&u, (const uint8_t *)reason, reason_len) != 0 || u != 0)
		return WS_EINVAL;
	rc = encode_close(ws, code, (const uint8_t *)reason, reason_len, out, cap, out_len);
	if (rc == WS_OK)
		ws->close_sent = 1;
	return rc;
}

int ws_is_closed(const struct ws *ws)
{
	return ws->failed || (ws->close_sent && ws->close_received);
}

/* ---- decoder ---- */

static enum ws_ev_type fail(struct ws *ws, struct ws_event *ev, uint16_t code)
{
	ev->type = WS_EV_ERROR;
	ev->close_code = code;
	if (!ws->close_sent) {
		/* A failed random source still gets the close out with a zero key;
		 * the connection is dropped right after anyway. */
		if (encode_close(ws, code, NULL, 0, ev->reply, sizeof ev->reply, &ev->reply_len) != WS_OK)
			ev->reply_len = 0;
		ws->close_sent = 1;
	}
	ws->failed = 1;
	ws->state = ST_DONE;
	return WS_EV_ERROR;
}

/* The first two header bytes are in: checks that need nothing more. */
static int check_hdr2(struct ws *ws)
{
	uint8_t b0 = ws->hdr[0], b1 = ws->hdr[1];
	unsigned op = b0 & 0x0F, len7 = b1 & 0x7F;
	int masked = (b1 & 0x80) != 0;

	if (b0 & 0x70)
		return WS_CLOSE_PROTOCOL; /* RSV bits without an extension, §5.2 */
	/* §5.1: a server must fail on an unmasked frame, a client on a masked one */
	if (masked != (ws->role == WS_ROLE_SERVER))
		return WS_CLOSE_PROTOCOL;
	switch (op) {
	case WS_OP_CONT:
		if (!ws->msg_op)
			return WS_CLOSE_PROTOCOL; /* nothing to continue */
		break;
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (ws->msg_op)
			return WS_CLOSE_PROTOCOL; /* previous message unfinished, §5.4 */
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!(b0 & 0x80) || len7 > WS_CTRL_MAX)
			return WS_CLOSE_PROTOCOL; /* §5.5 */
		break;
	default:
		return WS_CLOSE_PROTOCOL; /* reserved opcode */
	}
	ws->fin = (b0 & 0x80) != 0;
	ws->opcode = (uint8_t)op;
	ws->masked = (uint8_t)masked;
	ws->hdr_need = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0));
	return 0;
}

/* The whole header is in. */
static int check_hdr_full(struct ws *ws)
{
	unsigned len7 = ws->hdr[1] & 0x7F;
	const uint8_t *p = ws->hdr + 2;
	uint64_t len = len7;

	if (len7 == 126) {
		len = (uint64_t)p[0] << 8 | p[1];
		p += 2;
		if (len < 126)
			return WS_CLOSE_PROTOCOL; /* §5.2: minimal length encoding */
	} else if (len7 == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | p[i];
		p += 8;
		if (len >> 63 || len <= 0xFFFF)
			return WS_CLOSE_PROTOCOL;
	}
	if (ws->masked)
		memcpy(ws->mask, p, 4);
	if (!(ws->opcode & 8)) {
		if (ws->opcode != WS_OP_CONT) {
			ws->msg_op = ws->opcode;
			ws->msg_started = 0;
			ws->msg_len = 0;
			ws->utf8 = 0;
		}
		if (len > ws->max_message || ws->msg_len > ws->max_message - len)
			return WS_CLOSE_TOO_BIG;
		ws->msg_len += len;
	}
	ws->frame_len = len;
	ws->frame_done = 0;
	return 0;
}

static void next_frame(struct ws *ws)
{
	ws->state = ST_HDR;
	ws->hdr_len = 0;
	ws->hdr_need = 2;
}

/* A data piece p[0..n) of the current frame (already unmasked). */
static enum ws_ev_type data_piece(struct ws *ws, struct ws_event *ev, const uint8_t *p, size_t n)
{
	int frame_end = ws->frame_done == ws->frame_len;
	int msg_end = frame_end && ws->fin;

	if (ws->msg_op == WS_OP_TEXT) {
		if (ws_utf8_check(&ws->utf8, p, n) != 0 || (msg_end && ws->utf8 != 0))
			return fail(ws, ev, WS_CLOSE_BAD_DATA);
	}
	ev->type = WS_EV_DATA;
	ev->data = p;
	ev->len = n;
	ev->opcode = ws->msg_op;
	ev->first = !ws->msg_started;
	ev->fin = (uint8_t)msg_end;
	ws->msg_started = 1;
	if (frame_end)
		next_frame(ws);
	if (msg_end)
		ws->msg_op = 0;
	return WS_EV_DATA;
}

static enum ws_ev_type control_done(struct ws *ws, struct ws_event *ev)
{
	size_t n = (size_t)ws->frame_len;

	next_frame(ws);
	ev->data = ws->ctl;
	ev->len = n;
	switch (ws->opcode) {
	case WS_OP_PING:
		ev->type = WS_EV_PING;
		if (!ws->close_sent &&
		    encode_raw(ws, WS_OP_PONG, ws->ctl, n, ev->reply, sizeof ev->reply, &ev->reply_len) != WS_OK)
			ev->reply_len = 0;
		return WS_EV_PING;
	case WS_OP_PONG:
		ev->type = WS_EV_PONG;
		return WS_EV_PONG;
	default: /* close, §5.5.1 and §7.1.5 */
		if (n == 1)
			return fail(ws, ev, WS_CLOSE_PROTOCOL);
		if (n >= 2) {
			uint32_t u = 0;
			ev->close_code = (uint16_t)(ws->ctl[0] << 8 | ws->ctl[1]);
			if (!ws_close_code_valid(ev->close_code))
				return fail(ws, ev, WS_CLOSE_PROTOCOL);
			if (ws_utf8_check(&u, ws->ctl + 2, n - 2) != 0 || u != 0)
				return fail(ws, ev, WS_CLOSE_BAD_DATA);
			ev->data = ws->ctl + 2;
			ev->len = n - 2;
		} else {
			ev->close_code = WS_CLOSE_NO_STATUS;
		}
		ev->type = WS_EV_CLOSE;
		ws->close_received = 1;
		ws->state = ST_DONE;
		if (!ws->close_sent) {
			/* echo the code (none for none), §5.5.1 */
			uint16_t code = ev->close_code == WS_CLOSE_NO_STATUS ? 0 : ev->close_code;
			if (encode_close(ws, code, NULL, 0, ev->reply, sizeof ev->reply, &ev->reply_len) != WS_OK)
				ev->reply_len = 0;
			ws->close_sent = 1;
		}
		return WS_EV_CLOSE;
	}
}

enum ws_ev_type ws_decode(struct ws *ws, uint8_t *in, size_t len, size_t *used,
                          struct ws_event *ev)
{
	size_t i = 0;
	enum ws_ev_type t = WS_EV_NONE;

	memset(ev, 0, offsetof(struct ws_event, reply));
	ev->reply_len = 0;
	while (i < len && t == WS_EV_NONE) {
		if (ws->state == ST_DONE) {
			i = len; /* after close or failure: ignore the rest */
			break;
		}
		if (ws->state == ST_HDR) {
			size_t k = ws->hdr_need - ws->hdr_len;
			int code;
			if (k > len - i)
				k = len - i;
			memcpy(ws->hdr + ws->hdr_len, in + i, k);
			ws->hdr_len = (uint8_t)(ws->hdr_len + k);
			i += k;
			if (ws->hdr_len == 2 && (code = check_hdr2(ws)) != 0) {
				t = fail(ws, ev, (uint16_t)code);
				break;
			}
			if (ws->hdr_len < ws->hdr_need)
				continue;
			if ((code = check_hdr_full(ws)) != 0) {
				t = fail(ws, ev, (uint16_t)code);
				break;
			}
			ws->state = ST_PAYLOAD;
			if (ws->frame_len == 0)
				t = (ws->opcode & 8) ? control_done(ws, ev) : data_piece(ws, ev, in + i, 0);
			continue;
		}
		/* ST_PAYLOAD */
		{
			uint64_t left = ws->frame_len - ws->frame_done;
			size_t k = len - i < left ? len - i : (size_t)left;
			uint8_t *p = in + i;
			if (ws->opcode & 8) {
				memcpy(ws->ctl + ws->frame_done, p, k);
				p = ws->ctl + ws->frame_done;
			}
			if (ws->masked)
				ws_mask(p, k, ws->mask, ws->frame_done);
			ws->frame_done += k;
			i += k;
			if (ws->opcode & 8) {
				if (ws->frame_done == ws->frame_len)
					t = control_done(ws, ev);
			} else {
				t = data_piece(ws, ev, p, k);
			}
		}
	}
	*used = i;
	ev->type = t;
	return t;
}
