/*
 * local_plugin.c: the REST routes that nvidia-docker requests, served
 * with libnvd's renderers, the ones the plugin uses.
 */
#include <stdlib.h>
#include <string.h>

#include "docker_cli_query.h"
#include "local_plugin.h"
#include "query.h"
#include "util.h"

#define API_PREFIX "/v1.0"
#define TYPE_TEXT "text/plain; charset=utf-8"
#define TYPE_JSON "application/json"

const char *local_plugin_driver_root(void)
{
    const char *root = getenv("NV_DRIVER_ROOT");

    return root && *root ? root : "/";
}

struct nvd_host *local_plugin_discover(nvd_error **err)
{
    return nvd_host_discover(local_plugin_driver_root(), NULL, err);
}

/* Fill resp with a reply of status, taking body. */
static void set_reply(struct http_response *resp, int status, const char *type, char *body)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = status;
    resp->reason = nvd_xstrdup(status == 200 ? "OK" : status == 400 ? "Bad Request"
                               : status == 404 ? "Not Found" : "Internal Server Error");
    resp->headers = nvd_xcalloc(1, sizeof(*resp->headers));
    resp->headers[0].name = nvd_xstrdup("Content-Type");
    resp->headers[0].value = nvd_xstrdup(type);
    resp->header_count = 1;
    resp->body = body;
    resp->body_len = strlen(body);
}

/* The renderers of a route, by the host and the query. */
typedef char *render_host_fn(const struct nvd_host *host);

struct route {
    const char *path;
    const char *type;
    render_host_fn *render_host;                          /* /gpu/info */
    char *(*render_args)(const struct nvd_docker_args *); /* /docker/cli */
};

static const struct route routes[] = {
    { "/docker/cli", TYPE_TEXT, NULL, nvd_render_docker_cli_text },
    { "/docker/cli/json", TYPE_JSON, NULL, nvd_render_docker_cli_json },
    { "/gpu/info", TYPE_TEXT, nvd_render_gpu_info_text, NULL },
    { "/gpu/info/json", TYPE_JSON, nvd_render_gpu_info_json, NULL },
};

int local_plugin_get(const struct nvd_host *host, const char *target,
                     struct http_response *resp, nvd_error **err)
{
    size_t path_len = strcspn(target, "?");
    const char *query = target[path_len] == '?' ? target + path_len + 1 : "";
    const char *path = target;

    if (strncmp(path, API_PREFIX "/", strlen(API_PREFIX) + 1) == 0) {
        path += strlen(API_PREFIX);
        path_len -= strlen(API_PREFIX);
    }

    const struct route *route = NULL;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strlen(routes[i].path) == path_len && memcmp(routes[i].path, path, path_len) == 0)
            route = &routes[i];
    }
    if (!route) {
        set_reply(resp, 404, TYPE_TEXT, nvd_xstrdup("404 page not found\n"));
        return 0;
    }

    cleanup_error nvd_error *failure = NULL;
    char *body;
    if (route->render_host) {
        body = route->render_host(host);
        if (!body)
            nvd_error_set(&failure, NVD_ERR_SYSTEM, "failed to render the reply");
    } else {
        cleanup_free char *dev = query_get(query, "dev");
        cleanup_free char *vol = query_get(query, "vol");
        body = nvd_docker_cli_query(host, dev, vol, route->render_args, &failure);
    }
    if (body) {
        set_reply(resp, 200, route->type, body);
        return 0;
    }
    if (failure->kind != NVD_ERR_INVALID) {
        *err = steal_pointer(&failure);
        return -1;
    }
    set_reply(resp, 400, TYPE_TEXT, nvd_xasprintf("%s\n", failure->msg));
    return 0;
}
