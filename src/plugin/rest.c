/*
 * rest.c: the REST API on the TCP address (-l). Every route serves GET
 * with and without the "/v1.0" prefix; anything else is Go's 404. Bad
 * input is a 400 and a driver failure a 500, each with the cause as a
 * text/plain body.
 */
#include <string.h>
#include <sys/stat.h>

#include "docker_cli_query.h"
#include "plugin.h"
#include "query.h"
#include "util.h"

#define API_PREFIX "/v1.0"

/* Reply 400 for bad input and 500 for anything else, with err's message. */
static void reply_failure(struct reply *reply, const struct request *req, const nvd_error *err)
{
    unsigned status = err->kind == NVD_ERR_INVALID ? 400 : 500;

    /* server.c logs every 4xx reply with its reason, rate-limited. */
    if (status == 500)
        nvd_log_error("%s %s: %s", req->method, req->path, err->msg);
    reply_error(reply, status, err->msg);
}

/* The inputs that a cached /docker/cli reply is rendered from. */
struct docker_cli_render {
    const struct nvd_host *host;
    char *(*render)(const struct nvd_docker_args *);
};

/* Render the /docker/cli reply for every GPU and volume, for the cache. */
static char *render_docker_cli_all(const void *ctx)
{
    const struct docker_cli_render *r = ctx;

    return nvd_docker_cli_query(r->host, NULL, NULL, r->render, NULL);
}

/* Check whether the host's dev root has /dev/nvidia-uvm-tools now. */
static bool has_uvm_tools(const struct nvd_host *host)
{
    cleanup_free char *path = nvd_path_join(host->dev_root, "/dev/nvidia-uvm-tools");
    struct stat st;

    return stat(path, &st) == 0;
}

/* Check whether a dev= value may name a MIG device: "<gpu>:<mig>" or a MIG UUID. */
static bool may_name_mig_device(const char *dev)
{
    return dev && (strchr(dev, ':') || strcasestr(dev, "MIG-"));
}

/* Check whether a GPU of host can have MIG devices. */
static bool host_has_mig(const struct nvd_host *host)
{
    for (size_t i = 0; i < host->gpu_count; i++)
        if (host->gpus[i].mig_mode >= 0)
            return true;
    return false;
}

/*
 * Acquire the host for a dev= selection. MIG devices come and go without a
 * driver change. So for a selection that may name one, NVML checks that
 * the cached MIG devices are still current, and when they are not, the
 * host is discovered again, as after SIGHUP.
 */
static struct plugin_host *acquire_host_for_devices(struct plugin *plugin, const char *dev,
                                                    nvd_error **err)
{
    struct plugin_host *ref = plugin_host_acquire(plugin, err);

    if (!ref || !may_name_mig_device(dev) || !host_has_mig(ref->host))
        return ref;
    plugin_host_release(ref);

    struct plugin_driver *driver = plugin_driver_acquire(plugin, err);
    if (!driver)
        return NULL;
    bool current = nvd_mig_layout_current(driver->driver, driver->host);
    plugin_driver_release(driver);
    if (!current) {
        nvd_log("MIG devices changed: discovering the GPUs again");
        plugin_driver_reset(plugin);
    }
    return plugin_host_acquire(plugin, err);
}

/*
 * Reply with the docker arguments for the request's dev= and vol=. The
 * reply for all GPUs, the common request, comes from the host's cache,
 * one per state of /dev/nvidia-uvm-tools, which 1.0 checked per request.
 */
static void reply_docker_cli(struct plugin *plugin, const struct request *req,
                             struct reply *reply,
                             char *(*render)(const struct nvd_docker_args *),
                             const char *content_type, bool json)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_free char *dev = query_get(req->query, "dev");
    cleanup_free char *vol = query_get(req->query, "vol");
    cleanup_host struct plugin_host *ref = acquire_host_for_devices(plugin, dev, &err);
    char *body;

    if (!ref) {
        reply_failure(reply, req, err);
        return;
    }
    if (!dev && !vol) {
        struct docker_cli_render ctx = { .host = ref->host, .render = render };
        enum plugin_rendered which = has_uvm_tools(ref->host)
            ? (json ? RENDERED_DOCKER_CLI_JSON_TOOLS : RENDERED_DOCKER_CLI_TEXT_TOOLS)
            : (json ? RENDERED_DOCKER_CLI_JSON : RENDERED_DOCKER_CLI_TEXT);
        body = plugin_host_rendered(ref, which, render_docker_cli_all, &ctx);
        if (!body)
            nvd_error_set(&err, NVD_ERR_SYSTEM, "failed to render the docker arguments");
    } else {
        body = nvd_docker_cli_query(ref->host, dev, vol, render, &err);
    }
    if (!body) {
        reply_failure(reply, req, err);
        return;
    }
    reply_owned(reply, 200, content_type, body);
}

static void handle_docker_cli_text(struct plugin *plugin, const struct request *req,
                                   struct reply *reply)
{
    reply_docker_cli(plugin, req, reply, nvd_render_docker_cli_text, CONTENT_TYPE_TEXT, false);
}

static void handle_docker_cli_json(struct plugin *plugin, const struct request *req,
                                   struct reply *reply)
{
    reply_docker_cli(plugin, req, reply, nvd_render_docker_cli_json, CONTENT_TYPE_JSON, true);
}

/* Adapters from the cache's render signature to the library's renderers. */
static char *render_info_text(const void *host) { return nvd_render_gpu_info_text(host); }
static char *render_info_json(const void *host) { return nvd_render_gpu_info_json(host); }
static char *render_mesos(const void *host) { return nvd_render_mesos_cli(host); }

/*
 * Reply with a rendering of the discovered host (its snapshot, driver and
 * CUDA versions included), cached with the host since nothing else
 * changes it. A failed render is a 500.
 */
static void reply_host_render(struct plugin *plugin, const struct request *req,
                              struct reply *reply, enum plugin_rendered which,
                              char *(*render)(const void *), const char *content_type)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_host struct plugin_host *ref = plugin_host_acquire_cuda(plugin, &err);

    if (!ref) {
        reply_failure(reply, req, err);
        return;
    }
    char *body = plugin_host_rendered(ref, which, render, ref->host);
    if (!body) {
        nvd_log_error("%s %s: failed to render the reply", req->method, req->path);
        reply_error(reply, 500, "failed to render the reply");
        return;
    }
    reply_owned(reply, 200, content_type, body);
}

static void handle_gpu_info_text(struct plugin *plugin, const struct request *req,
                                 struct reply *reply)
{
    reply_host_render(plugin, req, reply, RENDERED_GPU_INFO_TEXT, render_info_text, CONTENT_TYPE_TEXT);
}

static void handle_gpu_info_json(struct plugin *plugin, const struct request *req,
                                 struct reply *reply)
{
    reply_host_render(plugin, req, reply, RENDERED_GPU_INFO_JSON, render_info_json, CONTENT_TYPE_JSON);
}

static void handle_mesos_cli(struct plugin *plugin, const struct request *req,
                             struct reply *reply)
{
    reply_host_render(plugin, req, reply, RENDERED_MESOS_CLI, render_mesos, CONTENT_TYPE_TEXT);
}

/*
 * Read every GPU's live status through NVML and reply with render's
 * output. A failed read (any NVML error but "not supported") is a 500
 * with the library's message, as in 1.0.
 */
static void reply_status_render(struct plugin *plugin, const struct request *req,
                                struct reply *reply,
                                char *(*render)(const struct nvd_host *,
                                                const struct nvd_gpu_status *),
                                const char *content_type)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_driver struct plugin_driver *driver = plugin_driver_acquire(plugin, &err);

    if (!driver) {
        reply_failure(reply, req, err);
        return;
    }
    plugin_driver_read_cuda(driver);
    struct nvd_gpu_status *status = nvd_status_read(driver->driver, driver->host, &err);
    if (!status) {
        reply_failure(reply, req, err);
        return;
    }
    char *body = render(driver->host, status);
    nvd_status_free(status, driver->host->gpu_count);
    reply_owned(reply, 200, content_type, body);
}

static void handle_gpu_status_text(struct plugin *plugin, const struct request *req,
                                   struct reply *reply)
{
    reply_status_render(plugin, req, reply, nvd_render_gpu_status_text, CONTENT_TYPE_TEXT);
}

static void handle_gpu_status_json(struct plugin *plugin, const struct request *req,
                                   struct reply *reply)
{
    reply_status_render(plugin, req, reply, nvd_render_gpu_status_json, CONTENT_TYPE_JSON);
}

/*
 * Reply with the CDI spec of the current host, whose driver volume is
 * built first, as --cdi-dir writes it. No GPU is a 500 with the reason.
 */
static void handle_cdi_json(struct plugin *plugin, const struct request *req,
                            struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_host struct plugin_host *ref = plugin_host_acquire(plugin, &err);

    if (!ref) {
        reply_failure(reply, req, err);
        return;
    }
    char *body = plugin_cdi_render(plugin, ref->host, &err);
    if (!body) {
        reply_failure(reply, req, err);
        return;
    }
    reply_owned(reply, 200, CONTENT_TYPE_JSON, body);
}

/* The REST routes, without the "/v1.0" prefix that each also has. */
static const struct route rest_routes[] = {
    {"GET", "/cdi/json", handle_cdi_json},
    {"GET", "/docker/cli", handle_docker_cli_text},
    {"GET", "/docker/cli/json", handle_docker_cli_json},
    {"GET", "/gpu/info", handle_gpu_info_text},
    {"GET", "/gpu/info/json", handle_gpu_info_json},
    {"GET", "/gpu/status", handle_gpu_status_text},
    {"GET", "/gpu/status/json", handle_gpu_status_json},
    {"GET", "/mesos/cli", handle_mesos_cli},
};

void rest_dispatch(struct plugin *plugin, const struct request *req, struct reply *reply)
{
    const char *path = req->path;
    size_t prefix_len = strlen(API_PREFIX);

    if (strncmp(path, API_PREFIX, prefix_len) == 0 && path[prefix_len] == '/')
        path += prefix_len;

    const struct route *route = route_find(rest_routes, sizeof(rest_routes) / sizeof(rest_routes[0]),
                                           req->method, path);
    if (!route) {
        reply_not_found(reply);
        return;
    }
    route->handler(plugin, req, reply);
}
