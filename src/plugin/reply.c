/* reply.c: builders for the replies that handlers return, and route lookup. */
#include <string.h>

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
