/*
 * libFuzzer target for the REST API's dispatch (src/plugin/rest.c), with a
 * request built from the input as the server would pass it. The first byte
 * picks the method. The rest is the request target, split at the first "?"
 * into the decoded path and the raw query. The driver root is
 * $NVD_FUZZ_ROOT (a root made by nvd-sim), or else a missing directory,
 * where every route that needs the driver fails.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "path_clean.h"
#include "plugin.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct plugin_options options;
static struct plugin plugin;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *root = getenv("NVD_FUZZ_ROOT");

    flags_set_defaults(&options);
    options.driver_root = root && root[0] ? root : "/nonexistent/nvd-fuzz-root";
    plugin_init(&plugin, &options);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "get", ""};

    if (size < 1)
        return 0;
    const char *method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
    char *target = nvd_xmalloc(size);
    memcpy(target, data + 1, size - 1);
    target[size - 1] = '\0';

    char *query = strchr(target, '?');
    if (query)
        *query++ = '\0';
    struct request req = {
        .client = "127.0.0.1:1",
        .method = method,
        .path = target,
        .query = query ? query : "",
        .accept = NULL,
        .body = "",
        .body_len = 0,
    };
    struct reply reply = {0};

    /* As the server does: a non-canonical path gets a redirect, any other a route. */
    if (!path_is_clean(req.path))
        reply_redirect(&reply, req.method, req.path, req.query);
    else
        rest_dispatch(&plugin, &req, &reply);
    if (reply.status < 200 || reply.status > 599)
        abort();
    const char *body = reply.owned_body ? reply.owned_body : reply.static_body;
    if (body && strlen(body) != reply.length)
        abort();

    reply_clear(&reply);
    free(target);
    return 0;
}
