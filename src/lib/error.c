/*
 * error.c: the library's one error object. The contract is written in
 * nvd.h: a fallible function returns -1 or NULL and sets *err to a new
 * nvd_error that the caller releases with nvd_error_free().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Store a new error in *err unless err is NULL or already has one. */
static void error_store(nvd_error **err, enum nvd_error_kind kind, int errnum,
                        char *msg)
{
    if (!err || *err) {
        free(msg);
        return;
    }
    nvd_error *e = nvd_xmalloc(sizeof(*e));
    e->kind = kind;
    e->errnum = errnum;
    e->msg = msg;
    *err = e;
}

int nvd_error_set(nvd_error **err, enum nvd_error_kind kind, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = nvd_xstrdup("out of memory");
    va_end(ap);
    error_store(err, kind, 0, msg);
    return -1;
}

int nvd_error_sys(nvd_error **err, int errnum, const char *fmt, ...)
{
    va_list ap;
    char *what;

    va_start(ap, fmt);
    if (vasprintf(&what, fmt, ap) < 0)
        what = NULL;
    va_end(ap);
    error_store(err, NVD_ERR_SYSTEM, errnum,
                nvd_xasprintf("%s: %s", what ? what : "?", strerror(errnum)));
    free(what);
    return -1;
}

int nvd_error_wrap(nvd_error **err, const char *fmt, ...)
{
    va_list ap;
    char *context;

    if (!err || !*err)
        return -1;
    va_start(ap, fmt);
    if (vasprintf(&context, fmt, ap) < 0)
        context = NULL;
    va_end(ap);
    if (context) {
        char *msg = nvd_xasprintf("%s: %s", context, (*err)->msg);
        free((*err)->msg);
        (*err)->msg = msg;
        free(context);
    }
    return -1;
}

void nvd_error_free(nvd_error *err)
{
    if (!err)
        return;
    free(err->msg);
    free(err);
}
