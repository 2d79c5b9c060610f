/* path_clean.c: Go's ServeMux path cleaning and URL path escaping. */
#include <string.h>

#include "path_clean.h"

bool path_is_clean(const char *path)
{
    if (path[0] != '/')
        return false;

    /* Every element between two slashes, or after the last one, must be a real name. */
    const char *element = path + 1;
    for (;;) {
        size_t len = strcspn(element, "/");
        bool last = element[len] == '\0';
        if (last && len == 0)
            return true;        /* "/" or a trailing slash */
        if (len == 0)
            return false;       /* "//" */
        if (element[0] == '.' && (len == 1 || (len == 2 && element[1] == '.')))
            return false;       /* "." or ".." */
        if (last)
            return true;
        element += len + 1;
    }
}

char *path_clean(const char *path)
{
    size_t len = strlen(path);
    /* The result is at most the input, a leading "/" and a trailing "/". */
    char *out = nvd_xmalloc(len + 3);
    size_t n = 1;
    bool trailing = len > 0 && path[len - 1] == '/';

    out[0] = '/';
    for (size_t i = 0; i < len;) {
        if (path[i] == '/') {
            i++;
            continue;
        }
        size_t element = strcspn(path + i, "/");
        if (element == 1 && path[i] == '.') {
            /* "." names the current directory: drop it. */
        } else if (element == 2 && path[i] == '.' && path[i + 1] == '.') {
            /* ".." removes the last element, and stays at "/" above the root. */
            while (n > 1 && out[n - 1] != '/')
                n--;
            if (n > 1)
                n--;
        } else {
            if (n > 1)
                out[n++] = '/';
            memcpy(out + n, path + i, element);
            n += element;
        }
        i += element;
    }
    if (trailing && n > 1)
        out[n++] = '/';
    out[n] = '\0';
    return out;
}

/* Whether Go's url package leaves byte c unescaped in a path. */
static bool path_byte_is_plain(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("-._~$&+,/:;=@", c) != NULL;
}

void path_escape(struct nvd_buf *b, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (path_byte_is_plain(*p)) {
            nvd_buf_append(b, (const char *)p, 1);
        } else {
            char escaped[3] = {'%', hex[*p >> 4], hex[*p & 0xf]};
            nvd_buf_append(b, escaped, 3);
        }
    }
}
