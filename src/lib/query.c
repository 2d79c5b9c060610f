/* query.c: decoding of URL query strings with Go's url.ParseQuery rules. */
#include <stdbool.h>
#include <string.h>

#include "query.h"
#include "util.h"

int query_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

ssize_t query_unescape(const char *src, size_t len, char *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (len - i < 3)
                return -1;
            int hi = query_hex_value(src[i + 1]);
            int lo = query_hex_value(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (out)
            out[n] = c;
        n++;
    }
    return (ssize_t)n;
}

/* Whether the query component src[0..len) decodes to exactly key. */
static bool component_equals(const char *src, size_t len, const char *key)
{
    size_t key_len = strlen(key);
    char decoded[64];

    /* Every decoded byte takes one to three bytes of src. */
    if (len < key_len || len > 3 * key_len || key_len > sizeof(decoded))
        return false;
    ssize_t n = query_unescape(src, len, decoded);
    return n == (ssize_t)key_len && memcmp(decoded, key, key_len) == 0;
}

/*
 * Return a new string of the n decoded bytes of value with each NUL byte
 * written as the four characters "\x00", and free value. A C string
 * cannot carry a NUL, and cutting the value there would turn "0%00x" into
 * the valid device "0".
 */
static char *spell_nul_bytes(char *value, size_t n)
{
    struct nvd_buf b = {0};

    nvd_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        if (value[i] == '\0')
            nvd_buf_puts(&b, "\\x00");
        else
            nvd_buf_append(&b, &value[i], 1);
    }
    free(value);
    return nvd_buf_steal(&b);
}

char *query_get(const char *query, const char *key)
{
    const char *pair = query;

    while (pair && *pair) {
        size_t pair_len = strcspn(pair, "&;");
        const char *next = pair[pair_len] ? pair + pair_len + 1 : NULL;
        const char *equals = memchr(pair, '=', pair_len);
        size_t name_len = equals ? (size_t)(equals - pair) : pair_len;
        const char *value = equals ? equals + 1 : pair + pair_len;
        size_t value_len = pair_len - (size_t)(value - pair);

        if (pair_len > 0 && component_equals(pair, name_len, key) &&
            query_unescape(value, value_len, NULL) >= 0) {
            char *out = nvd_xmalloc(value_len + 1);
            ssize_t n = query_unescape(value, value_len, out);
            out[n] = '\0';
            if (memchr(out, '\0', (size_t)n))
                return spell_nul_bytes(out, (size_t)n);
            return out;
        }
        pair = next;
    }
    return NULL;
}
