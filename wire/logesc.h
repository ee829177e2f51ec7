/* logesc.h — text from a peer made safe for one log line, on both ends:
 * a newline or an escape sequence in a command or a key must not forge a
 * line or drive the operator's terminal. */
#ifndef MONBOT_LOGESC_H
#define MONBOT_LOGESC_H

#include <stddef.h>

/* Copies in[0..n) to out as one line: "\n" "\r" "\t" "\\" become \n \r \t
 * \\ (backslash and letter), every other C0 byte, DEL, a byte that is not
 * part of well-formed UTF-8 and the C1 controls (U+0080..U+009F, which
 * terminals may take as CSI) become \xNN per byte; valid UTF-8 stays as it
 * is. out is always NUL-terminated and holds whole escapes and whole
 * characters only. 0, or -1 when out was too small (what fitted is there);
 * *out_len (may be NULL) is the length written. */
/* Length of the well-formed UTF-8 character at s (RFC 3629 §4: no overlong
 * forms, no surrogates, nothing past U+10FFFF), 0 if it is not one. */
size_t utf8_char_len(const unsigned char *s, size_t n);

int logesc(const char *in, size_t n, char *out, size_t cap, size_t *out_len);

#endif
