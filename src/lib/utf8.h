/*
 * utf8.h: UTF-8 decoding with the rules of Go's unicode/utf8 package, which
 * the Go JSON encoder and text/tabwriter of nvidia-docker 1.0 used.
 * Internal: not part of the installed API.
 */
#ifndef NVD_UTF8_H
#define NVD_UTF8_H

#include <stddef.h>

/*
 * Return the length of the valid UTF-8 sequence at s (1 to 4), or 0 when
 * the bytes there are not one, with the same rules as Go's
 * utf8.DecodeRuneInString: no overlong forms, no surrogates, nothing above
 * U+10FFFF. n is the number of bytes available at s, at least 1.
 */
size_t nvd_utf8_sequence_length(const unsigned char *s, size_t n);

/*
 * Count the runes in s[0..n) as Go's utf8.RuneCount does: each valid
 * sequence is one rune, and so is each byte that starts no valid sequence.
 */
size_t nvd_utf8_rune_count(const char *s, size_t n);

#endif /* NVD_UTF8_H */
