/* utf8.c: UTF-8 decoding with the rules of Go's unicode/utf8 package. */
#include "utf8.h"

size_t nvd_utf8_sequence_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;

    if (c < 0x80)
        return 1;
    if (c < 0xc2 || c > 0xf4)
        return 0;
    if (c < 0xe0) {
        len = 2;
    } else if (c < 0xf0) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    }
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return len;
}

size_t nvd_utf8_rune_count(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t runes = 0;
    size_t i = 0;

    while (i < n) {
        size_t len = nvd_utf8_sequence_length(p + i, n - i);
        i += len > 0 ? len : 1;
        runes++;
    }
    return runes;
}
