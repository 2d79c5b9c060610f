/*
 * query.h: URL query strings decoded as Go's net/url does for
 * Request.FormValue, which nvidia-docker 1.0 used for dev= and vol=.
 */
#ifndef NVD_QUERY_H
#define NVD_QUERY_H

#include <stddef.h>
#include <sys/types.h>

/* Return the value of the hex digit c (either case), or -1. */
int query_hex_value(char c);

/*
 * Decode the query component src[0..len) into out (at least len bytes;
 * NULL only checks it): "%XX" is the byte XX and "+" a space. Returns the
 * decoded length, or -1 when a "%" is not followed by two hex digits.
 */
ssize_t query_unescape(const char *src, size_t len, char *out);

/*
 * Return a new string with the decoded value of the first pair named key
 * in query (the text after "?"), or NULL when there is none. Pairs are
 * separated by "&" or ";". As in Go's url.ParseQuery, a pair whose name or
 * value has a bad escape is skipped, and "key" without "=" has the empty
 * value. A NUL byte ("%00") in the value comes out as the text "\x00".
 */
char *query_get(const char *query, const char *key);

#endif /* NVD_QUERY_H */
