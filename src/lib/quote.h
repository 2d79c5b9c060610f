/*
 * quote.h: outside values (labels, environment values, server replies)
 * made fit for a one-line message: bytes a terminal would act on are
 * escaped and a long value is clipped.
 */
#ifndef NVD_QUOTE_H
#define NVD_QUOTE_H

#include <stddef.h>

/* Maximum number of a value's bytes that a message shows. */
#define NVD_QUOTE_MAX 120

/*
 * Return a new string showing s[0..len): every byte below 0x20, 0x7f, a
 * byte from 0x80 on and the backslash are written \xNN (the backslash as
 * \\), and a value longer than NVD_QUOTE_MAX bytes shows its first NVD_QUOTE_MAX
 * bytes, then "... (N bytes)" with its full length N.
 */
char *nvd_quote_bytes(const char *s, size_t len);

/* nvd_quote_bytes() of a NUL-terminated string; NULL gives "(null)". */
char *nvd_quote_str(const char *s);

#endif /* NVD_QUOTE_H */
