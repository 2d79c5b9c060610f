/*
 * quote.c: the message quoting of quote.h.
 */
#include <string.h>

#include "quote.h"
#include "util.h"

char *nvd_quote_bytes(const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    struct nvd_buf out = { 0 };
    size_t shown = len > NVD_QUOTE_MAX ? NVD_QUOTE_MAX : len;

    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            nvd_buf_puts(&out, "\\\\");
        } else if (c < 0x20 || c >= 0x7f) {
            char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 0xf] };
            nvd_buf_append(&out, esc, sizeof(esc));
        } else {
            nvd_buf_append(&out, (const char *)&c, 1);
        }
    }
    if (shown < len)
        nvd_buf_printf(&out, "... (%zu bytes)", len);
    if (!out.data)
        return nvd_xstrdup("");
    return nvd_buf_steal(&out);
}

char *nvd_quote_str(const char *s)
{
    return s ? nvd_quote_bytes(s, strlen(s)) : nvd_xstrdup("(null)");
}
