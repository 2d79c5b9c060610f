/* util.c: allocation helpers, the growing string buffer and path joining. */
#include <stdio.h>
#include <string.h>

#include "util.h"

static void die_oom(void)
{
    fputs("out of memory\n", stderr);
    abort();
}

void *nvd_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        die_oom();
    return p;
}

void *nvd_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die_oom();
    return p;
}

void *nvd_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        die_oom();
    return q;
}

char *nvd_xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        die_oom();
    return p;
}

char *nvd_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        die_oom();
    va_end(ap);
    return s;
}

/* Make room for n more bytes plus the terminating NUL. */
static void buf_reserve(struct nvd_buf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
        cap *= 2;
    b->data = nvd_xrealloc(b->data, cap);
    b->cap = cap;
}

void nvd_buf_append(struct nvd_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void nvd_buf_puts(struct nvd_buf *b, const char *s)
{
    nvd_buf_append(b, s, strlen(s));
}

void nvd_buf_printf(struct nvd_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    /* Print into the free space; grow and print again when it is too small. */
    buf_reserve(b, 64);
    va_start(ap, fmt);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->data[b->len] = '\0';
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

char *nvd_buf_steal(struct nvd_buf *b)
{
    char *s = b->data ? b->data : nvd_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void nvd_buf_free(struct nvd_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *nvd_path_join(const char *root, const char *path)
{
    size_t n = strlen(root);

    while (n > 0 && root[n - 1] == '/')
        n--;
    while (*path == '/')
        path++;
    return nvd_xasprintf("%.*s/%s", (int)n, root, path);
}
