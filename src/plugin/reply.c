/* reply.c: builders for the replies that handlers and the servers return, and route lookup. */
#include <string.h>

#include "path_clean.h"
#include "plugin.h"
#include "util.h"

void reply_static(struct reply *reply, unsigned status, const char *content_type,
                  const char *body)
{
    free(reply->owned_body);
    reply->status = status;
    reply->content_type = content_type;
    reply->owned_body = NULL;
    reply->static_body = body;
    reply->length = strlen(body);
}

void reply_owned(struct reply *reply, unsigned status, const char *content_type,
                 char *body)
{
    free(reply->owned_body);
    reply->status = status;
    reply->content_type = content_type;
    reply->owned_body = body;
    reply->static_body = NULL;
    reply->length = strlen(body);
}

void reply_error(struct reply *reply, unsigned status, const char *message)
{
    reply_owned(reply, status, CONTENT_TYPE_TEXT, nvd_xasprintf("%s\n", message));
}

void reply_not_found(struct reply *reply)
{
    reply_static(reply, 404, CONTENT_TYPE_TEXT, "404 page not found\n");
}

const struct route *route_find(const struct route *routes, size_t count,
                               const char *method, const char *path)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(routes[i].path, path) == 0 && strcmp(routes[i].method, method) == 0)
            return &routes[i];
    }
    return NULL;
}

/* Append s to b with the HTML escapes of Go's http.Redirect. */
static void append_html_escaped(struct nvd_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': nvd_buf_puts(b, "&amp;"); break;
        case '<': nvd_buf_puts(b, "&lt;"); break;
        case '>': nvd_buf_puts(b, "&gt;"); break;
        case '"': nvd_buf_puts(b, "&#34;"); break;
        case '\'': nvd_buf_puts(b, "&#39;"); break;
        default: nvd_buf_append(b, s, 1); break;
        }
    }
}

void reply_redirect(struct reply *reply, const char *method, const char *path,
                    const char *query)
{
    cleanup_free char *clean = path_clean(path);
    struct nvd_buf location = {0};

    path_escape(&location, clean);
    if (query[0]) {
        nvd_buf_puts(&location, "?");
        nvd_buf_puts(&location, query);
    }

    /* Go writes a body for GET only; its type is what Go's content sniffing finds. */
    if (strcmp(method, "GET") == 0) {
        struct nvd_buf body = {0};
        nvd_buf_puts(&body, "<a href=\"");
        append_html_escaped(&body, location.data);
        nvd_buf_puts(&body, "\">Moved Permanently</a>.\n\n");
        reply_owned(reply, 301, "text/html; charset=utf-8", nvd_buf_steal(&body));
    } else {
        reply_static(reply, 301, NULL, "");
    }
    free(reply->location);
    reply->location = nvd_buf_steal(&location);
}

void reply_clear(struct reply *reply)
{
    free(reply->owned_body);
    free(reply->location);
    reply->owned_body = NULL;
    reply->location = NULL;
}
