/* ws.h — RFC 6455 WebSocket for both ends: the opening handshake (HTTP head
 * parsing and writing) and the frame codec. No I/O and no allocation here:
 * bytes go in, events and bytes come out; sockets and TLS are conn.h's job.
 * Every function returns WS_OK (0) or a negative WS_E* code unless it says. */
#ifndef MONBOT_WS_H
#define MONBOT_WS_H

#include <stddef.h>
#include <stdint.h>

#define WS_OK         0
#define WS_EAGAIN   (-1) /* handshake head incomplete: feed more bytes */
#define WS_ENOSPC   (-2) /* caller's buffer too small (nothing written) */
#define WS_EINVAL   (-3) /* bad argument (control frame > 125 bytes, bad code...) */
#define WS_EPROTO   (-4) /* peer broke the protocol (see the close code / status) */
#define WS_ESTATE   (-5) /* not allowed now (sending after our close, ...) */
#define WS_ERANDOM  (-6) /* the random source failed */

/* Opcodes, RFC 6455 §5.2. */
#define WS_OP_CONT   0x0
#define WS_OP_TEXT   0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE  0x8
#define WS_OP_PING   0x9
#define WS_OP_PONG   0xA

/* Close codes, RFC 6455 §7.4.1. */
#define WS_CLOSE_NORMAL      1000
#define WS_CLOSE_GOING_AWAY  1001
#define WS_CLOSE_PROTOCOL    1002
#define WS_CLOSE_UNSUPPORTED 1003
#define WS_CLOSE_NO_STATUS   1005 /* never sent: "close frame had no code" */
#define WS_CLOSE_ABNORMAL    1006 /* never sent: "no close frame at all" */
#define WS_CLOSE_BAD_DATA    1007 /* invalid UTF-8 in a text message */
#define WS_CLOSE_POLICY      1008
#define WS_CLOSE_TOO_BIG     1009
#define WS_CLOSE_INTERNAL    1011

#define WS_CTRL_MAX     125        /* control frame payload limit, §5.5 */
#define WS_HDR_MAX      14         /* 2 + 8 (64-bit length) + 4 (mask) */
#define WS_CTRL_FRAME_MAX (WS_HDR_MAX + WS_CTRL_MAX)
#define WS_MAX_MESSAGE_DEFAULT (4u << 20) /* SPEC §3: over 4 MiB closes with 1009 */
#define WS_KEY_B64_LEN  24         /* base64 of the 16-byte Sec-WebSocket-Key */
#define WS_ACCEPT_LEN   28         /* base64 of a SHA-1 digest */

/* Fills buf with len random bytes; returns 0 on success. Used for the client's
 * masking keys (conn.h's conn_random() fits). */
typedef int (*ws_random_fn)(void *ctx, uint8_t *buf, size_t len);

enum ws_role { WS_ROLE_CLIENT, WS_ROLE_SERVER };

/* ---- Frame codec -------------------------------------------------------
 * One struct ws per connection, owned by the caller (no heap). Decoding is
 * incremental: input may be split at any byte. Fields are private. */
struct ws {
	/* configuration */
	uint8_t role;              /* enum ws_role */
	uint64_t max_message;      /* limit on a whole message, 1009 past it */
	ws_random_fn rnd;
	void *rnd_ctx;
	/* decoder */
	uint8_t state;             /* private decoder state */
	uint8_t hdr[WS_HDR_MAX];
	uint8_t hdr_len, hdr_need;
	uint8_t fin, opcode, masked, mask[4];
	uint64_t frame_len, frame_done;
	uint8_t msg_op;            /* opcode of the data message in progress, 0 = none */
	uint8_t msg_started;       /* a DATA event was already given for it */
	uint64_t msg_len;
	uint32_t utf8;             /* UTF-8 decoder state across fragments */
	uint8_t ctl[WS_CTRL_MAX];  /* control payload collected across feeds */
	/* encoder */
	uint8_t out_msg_op;        /* outgoing fragmented message in progress */
	/* close handshake */
	uint8_t close_sent, close_received, failed;
};

/* Event kinds returned by ws_decode(). */
enum ws_ev_type {
	WS_EV_NONE = 0, /* input used up; feed more */
	WS_EV_DATA,     /* a piece of a text/binary message (see struct ws_event) */
	WS_EV_PING,     /* ping; ev.reply holds the pong to send */
	WS_EV_PONG,     /* pong (answer to our ping, or unsolicited) */
	WS_EV_CLOSE,    /* peer's close frame; ev.reply holds our echo if we had
	                   not sent a close yet. The codec is closed afterwards. */
	WS_EV_ERROR     /* protocol violation: ev.close_code is 1002, 1007 or 1009,
	                   ev.reply holds the close frame to send; then drop the
	                   connection. The codec accepts no more input. */
};

struct ws_event {
	enum ws_ev_type type;
	/* WS_EV_DATA: data/len is the next piece of the current message (may
	 * be 0 bytes), pointing into the caller's input buffer (unmasked in
	 * place). opcode is WS_OP_TEXT or WS_OP_BINARY for every piece;
	 * first marks the first piece, fin the last (message complete). Text is
	 * already checked to be valid UTF-8 up to here; a piece may end inside
	 * a multi-byte character, which the next piece completes.
	 * WS_EV_PING/PONG: data/len is the payload (≤ 125 bytes, inside the
	 * struct ws, valid until the next ws_decode call).
	 * WS_EV_CLOSE: close_code (1005 when the frame carried none) and the
	 * reason in data/len (UTF-8 checked, not NUL-terminated). */
	const uint8_t *data;
	size_t len;
	uint8_t opcode, first, fin;
	uint16_t close_code;
	/* Bytes to write to the peer now (after any frame you are in the middle
	 * of writing): the pong, the close echo or the failing close. 0 = none. */
	uint8_t reply[WS_CTRL_FRAME_MAX];
	size_t reply_len;
};

/* init cannot fail. A client needs rnd for masking keys (NULL on a server).
 * max_message 0 = WS_MAX_MESSAGE_DEFAULT. */
void ws_init(struct ws *ws, enum ws_role role, uint64_t max_message,
             ws_random_fn rnd, void *rnd_ctx);

/* Decodes from in[0..len). Stops at the first event or when the input is used
 * up; *used is how many bytes were consumed (always set). Call again with the
 * rest (in + *used) until it returns WS_EV_NONE. The buffer is modified:
 * masked payload is unmasked in place. Returns the event type (also in ev).
 * After WS_EV_CLOSE or WS_EV_ERROR further input is consumed and ignored. */
enum ws_ev_type ws_decode(struct ws *ws, uint8_t *in, size_t len, size_t *used,
                          struct ws_event *ev);

/* Encodes one whole frame into out (header, then payload; masked with a fresh
 * key on a client). opcode: WS_OP_TEXT/BINARY start a message, WS_OP_CONT
 * continues it, fin=1 ends it; control frames (ping, pong) must have fin=1
 * and ≤ 125 bytes and may go between fragments. A text payload is sent as
 * given (the caller produces UTF-8). *out_len = header + payload length.
 * WS_ENOSPC if cap is short, WS_ESTATE after our close, WS_EINVAL for a bad
 * opcode/fragment sequence. payload may be NULL when len is 0. */
int ws_frame_encode(struct ws *ws, unsigned opcode, int fin,
                    const void *payload, size_t len,
                    uint8_t *out, size_t cap, size_t *out_len);

/* Zero-copy variant for big messages: writes only the header into
 * hdr[WS_HDR_MAX] (*hdr_len bytes). On a client, the payload must then be
 * masked with ws_mask(payload, len, mask, 0) before sending; *masked tells
 * whether it must (always 1 on a client, 0 on a server). Same checks as
 * ws_frame_encode. */
int ws_frame_header(struct ws *ws, unsigned opcode, int fin, uint64_t len,
                    uint8_t hdr[WS_HDR_MAX], size_t *hdr_len,
                    uint8_t mask[4], int *masked);

/* XORs buf with the 4-byte key, starting at key position offset % 4 (so a
 * payload can be masked in pieces). */
void ws_mask(uint8_t *buf, size_t len, const uint8_t mask[4], uint64_t offset);

/* Our close frame: code 0 sends an empty body; otherwise a valid code
 * (1000-1003, 1007-1014, 3000-4999) and an optional UTF-8 reason, truncated
 * by the caller to ≤ 123 bytes (WS_EINVAL if longer). Marks the close sent:
 * further data frames are refused. */
int ws_close_encode(struct ws *ws, uint16_t code, const char *reason, size_t reason_len,
                    uint8_t *out, size_t cap, size_t *out_len);

/* 1 once both close frames have passed (the TCP connection may go: RFC 6455
 * §7.1.1 says the server closes first), or the codec failed. */
int ws_is_closed(const struct ws *ws);

/* Whether a close code may appear on the wire (RFC 6455 §7.4). */
int ws_close_code_valid(unsigned code);

/* Incremental UTF-8 check (Unicode 13 §3.9 Table 3-7: no overlong forms, no
 * surrogates, nothing past U+10FFFF). *state starts at 0; returns 0 while
 * valid so far, -1 at the first invalid byte. Complete text: *state == 0
 * at the end. */
int ws_utf8_check(uint32_t *state, const uint8_t *s, size_t len);

/* ---- Opening handshake, RFC 6455 §4 -------------------------------------
 * HTTP heads are parsed from the caller's buffer; they end at CRLF CRLF,
 * which must come within WS_HTTP_HEAD_MAX bytes. */

#define WS_HTTP_HEAD_MAX 8192

/* Client: the 16-byte nonce comes from the TLS library's RNG (conn_random).
 * Writes the GET request for path ("/ws/<secret>") with Host: host[:port]
 * (the port only when it is not 80/443) into out and the base64 key into
 * key_b64 (keep it for ws_client_check_response). */
int ws_client_request(const char *host, unsigned port, const char *path,
                      const uint8_t nonce[16],
                      char *out, size_t cap, size_t *out_len,
                      char key_b64[WS_KEY_B64_LEN + 1]);

/* Client: parses the server's answer from buf[0..len). Returns WS_EAGAIN
 * until the head is complete; then *used = length of the head (frames may
 * follow it in buf) and *status = the HTTP status. WS_OK: a valid 101 with
 * Upgrade/Connection tokens and the right Sec-WebSocket-Accept, and no
 * extension or subprotocol we did not ask for. Any other status (403 for an
 * unknown secret) or a bad head: WS_EPROTO, *status set when it was read. */
int ws_client_check_response(const char *buf, size_t len, const char *key_b64,
                             size_t *used, int *status);

/* Server: what a request head said. Strings are NUL-terminated copies;
 * a value too long for its field makes the request a 400/414/431. */
struct ws_http_request {
	char method[16];
	char target[1024];           /* request target as sent, "/ws/abc?x" */
	int version_minor;           /* HTTP/1.<n> */
	char host[256];
	char key[WS_KEY_B64_LEN + 1];/* Sec-WebSocket-Key, when present and valid */
	int ws_version;              /* Sec-WebSocket-Version, -1 absent */
	uint8_t upgrade_websocket;   /* Upgrade: has token "websocket" */
	uint8_t connection_upgrade;  /* Connection: has token "upgrade" */
	uint8_t connection_close;    /* Connection: has token "close" */
	uint8_t key_present;
	int64_t content_length;      /* -1 absent */
	uint8_t chunked;             /* Transfer-Encoding: chunked */
	size_t head_len;             /* bytes of the head, CRLFCRLF included */
};

/* Server: parses an HTTP/1.x request head (any method, so the same port
 * can answer /healthz, /metrics). Returns WS_EAGAIN until the head is
 * complete, WS_OK when well-formed (req filled, *used = head_len), or a
 * positive HTTP status to answer with ws_http_error_response (400 garbled,
 * 414 target too long, 431 head too long, 505 not HTTP/1.x). */
int ws_http_parse_request(const char *buf, size_t len, struct ws_http_request *req,
                          size_t *used);

/* Server: RFC 6455 §4.2.1 checks on a parsed request that asks for a
 * WebSocket. Returns 0 when it may be upgraded, else the HTTP status to
 * answer: 405 (not GET), 400 (HTTP/1.0, no Host, missing/bad Upgrade,
 * Connection or key), 426 (version not 13; the answer must carry
 * "Sec-WebSocket-Version: 13", which ws_http_error_response adds). */
int ws_http_check_upgrade(const struct ws_http_request *req);

/* Server: the 101 Switching Protocols answer for req (no extensions, no
 * subprotocol). */
int ws_server_accept_response(const struct ws_http_request *req,
                              char *out, size_t cap, size_t *out_len);

/* Any HTTP error answer (403 for an unknown secret, 400, 426...) with a
 * short text body and "Connection: close". */
int ws_http_error_response(int status, char *out, size_t cap, size_t *out_len);
/* The value of header `name` (case-insensitive, blanks around it trimmed)
 * in a complete request head: 1 found (the first), 0 absent or malformed. */
int ws_http_header(const char *head, size_t len, const char *name, const char **val,
                   size_t *vlen);
/* The reason phrase of an HTTP status ("Error" for one not listed). */
const char *ws_http_reason(int status);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)), RFC 6455 §4.2.2;
 * out gets WS_ACCEPT_LEN characters and a NUL. */
void ws_accept_key(const char *key_b64, char out[WS_ACCEPT_LEN + 1]);

#endif
