/*
 * engine.c: Docker engine calls through the Engine API on a Unix socket,
 * with the docker command as the fallback for every other transport (TCP,
 * SSH, TLS, contexts) and for a socket that cannot be reached.
 */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "http.h"
#include "util.h"

/* The Host header the docker CLI sends on a Unix socket. */
#define ENGINE_HOST_HEADER "docker"

static bool is_default_context(const char *name)
{
    return name == NULL || name[0] == '\0' || strcmp(name, "default") == 0;
}

/* Return the current context named by the docker CLI's config.json in
 * config_dir (or $DOCKER_CONFIG, or ~/.docker), as a new string, or NULL. */
static char *config_current_context(const char *config_dir)
{
    cleanup_free char *dir = NULL;
    const char *home = getenv("HOME");

    if (config_dir)
        dir = nvd_xstrdup(config_dir);
    else if (getenv("DOCKER_CONFIG") && *getenv("DOCKER_CONFIG"))
        dir = nvd_xstrdup(getenv("DOCKER_CONFIG"));
    else if (home && *home)
        dir = nvd_xasprintf("%s/.docker", home);
    else
        return NULL;

    cleanup_free char *path = nvd_xasprintf("%s/config.json", dir);
    json_t *root = json_load_file(path, 0, NULL);
    const char *name = json_string_value(json_object_get(root, "currentContext"));
    char *result = name && *name ? nvd_xstrdup(name) : NULL;
    json_decref(root);
    return result;
}

char *engine_host_socket(const char *host)
{
    if (strncmp(host, "unix://", 7) != 0)
        return NULL;
    return nvd_xstrdup(host[7] ? host + 7 : ENGINE_DEFAULT_SOCKET);
}

bool engine_host_is_local(const char *host)
{
    const char *p = strstr(host, "://");

    if (strncmp(host, "unix://", 7) == 0)
        return true;
    p = p ? p + 3 : host;

    /* Skip "user@" of ssh://user@host. */
    const char *slash = strchrnul(p, '/');
    const char *at = memrchr(p, '@', (size_t)(slash - p));
    if (at)
        p = at + 1;

    const char *name = p;
    size_t len;
    if (*p == '[') {
        name = p + 1;
        len = strcspn(name, "]");
    } else {
        len = strcspn(name, ":/");
    }

    if (len == 0)
        return true;  /* docker reads "tcp://:2375" as localhost */
    if (len == 9 && strncmp(name, "localhost", 9) == 0)
        return true;
    if (len == 3 && strncmp(name, "::1", 3) == 0)
        return true;
    return len > 4 && strncmp(name, "127.", 4) == 0;
}

void engine_init(struct engine *e, const struct docker_cmd *docker,
                 char *const *args, const struct scan_result *scan)
{
    const char *host = scan->host;
    const char *context = NULL;

    memset(e, 0, sizeof(*e));
    e->docker = docker;
    e->globals = args;
    e->global_count = scan->command_index > 0 ? (size_t)scan->command_index : 0;

    if (!host && !is_default_context(scan->context))
        context = scan->context;
    if (!host && !context && getenv("DOCKER_HOST") && *getenv("DOCKER_HOST"))
        host = getenv("DOCKER_HOST");
    if (!host && !context && is_default_context(scan->context) &&
        !is_default_context(getenv("DOCKER_CONTEXT")))
        context = getenv("DOCKER_CONTEXT");

    cleanup_free char *config_context = NULL;
    const char *env_context = getenv("DOCKER_CONTEXT");
    if (!host && !context && !scan->context && (!env_context || !*env_context)) {
        config_context = config_current_context(scan->config);
        if (!is_default_context(config_context))
            context = config_context;
    }

    /* TODO: reach tcp:// and ssh:// engines through the Engine API (TLS by
     * a dlopen'd libcurl) rather than through the docker command. */
    if (context) {
        /* engine_resolve_context() reads whether its engine is remote. */
        e->address = nvd_xasprintf("context %s", context);
        e->context = nvd_xstrdup(context);
        return;
    }
    if (!host)
        host = "unix://" ENGINE_DEFAULT_SOCKET;
    e->address = nvd_xstrdup(host);
    e->socket_path = engine_host_socket(host);
    e->remote = !engine_host_is_local(host);
}

void engine_clear(struct engine *e)
{
    free(e->context);
    free(e->socket_path);
    free(e->address);
    memset(e, 0, sizeof(*e));
}

int engine_resolve_context(struct engine *e, nvd_error **err)
{
    const char *cmd[] = {
        "context", "inspect", "--format", "{{.Endpoints.docker.Host}}", e->context, NULL,
    };
    struct docker_result res;

    if (!e->context)
        return 0;
    if (docker_run(e->docker, e->globals, e->global_count, cmd, DOCKER_OUT_CAPTURE, &res, err) < 0)
        return -1;
    if (res.status != 0) {
        cleanup_free char *message = docker_result_message(&res, "context inspect");
        docker_result_clear(&res);
        return nvd_error_set(err, NVD_ERR_INVALID, "reading docker context %s failed: %s",
                             e->context, message);
    }

    size_t len = res.out.len;
    while (len > 0 && strchr(" \t\r\n", res.out.data[len - 1]))
        len--;
    cleanup_free char *host = nvd_xasprintf("%.*s", (int)len, len > 0 ? res.out.data : "");
    docker_result_clear(&res);
    if (host[0] == '\0')
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "docker context %s names no docker host: check it with "
                             "\"docker context inspect %s\"", e->context, e->context);
    free(e->address);
    e->address = steal_pointer(&host);
    e->remote = !engine_host_is_local(e->address);
    return 0;
}

/* ------------------------------------------------------------- Engine API */

/*
 * Send one request to the Engine API. When the socket cannot be reached,
 * switch e to the docker command for this and later calls and return 1.
 */
static int api_request(struct engine *e, const struct http_request *req,
                       struct http_response *resp, nvd_error **err)
{
    int64_t deadline = http_now_ms() + HTTP_TIMEOUT_MS;
    cleanup_error nvd_error *connect_err = NULL;
    cleanup_close int fd = http_connect(&(struct http_endpoint){ .unix_path = e->socket_path },
                                        deadline, &connect_err);

    if (fd < 0) {
        free(e->socket_path);
        e->socket_path = NULL;
        return 1;
    }
    if (http_roundtrip(fd, req, deadline, resp, err) < 0)
        return nvd_error_wrap(err, "%s %s on the Docker engine at %s failed",
                              req->method, req->target, e->address);
    return 0;
}

/* Return the engine's error message from resp as a new string: the
 * "message" of a JSON body, else the body text, else the status. */
static char *api_error_message(const struct http_response *resp)
{
    json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
    const char *message = json_string_value(json_object_get(root, "message"));
    char *result = NULL;

    if (message && *message) {
        result = nvd_xstrdup(message);
    } else {
        size_t len = resp->body_len;
        while (len > 0 && strchr(" \t\r\n", resp->body[len - 1]))
            len--;
        result = len > 0 ? nvd_xasprintf("%.*s", (int)len, resp->body)
                         : nvd_xasprintf("HTTP %d %s", resp->status, resp->reason);
    }
    json_decref(root);
    return result;
}

/* Fail with the message of a failed volume creation and advice that fits
 * its cause: a name taken by another driver, or else a missing plugin. */
static int volume_create_error(const char *name, const char *driver, const char *message,
                               nvd_error **err)
{
    if (strstr(message, "already has volume") || strstr(message, "must be unique"))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "creating volume %s with driver %s failed: %s. Remove the "
                             "volume with \"docker volume rm %s\" and run the command again",
                             name, driver, message, name);
    return nvd_error_set(err, NVD_ERR_INVALID,
                         "creating volume %s with driver %s failed: %s. Check that "
                         "nvidia-docker-plugin is running",
                         name, driver, message);
}

/* Set *config from an inspect document's "Config" member. */
static void take_config(json_t *config_member, json_t **config)
{
    *config = json_is_object(config_member) ? json_incref(config_member) : json_object();
}

/* Inspect through the Engine API. Return 1 when the socket is unreachable. */
static int api_inspect_image(struct engine *e, const char *image, json_t **config,
                             nvd_error **err)
{
    cleanup_free char *escaped = http_escape(image, true);
    cleanup_free char *target = nvd_xasprintf("/images/%s/json", escaped);
    struct http_request req = {
        .method = "GET", .target = target, .host_header = ENGINE_HOST_HEADER,
    };
    struct http_response resp;

    int rc = api_request(e, &req, &resp, err);
    if (rc != 0)
        return rc;

    if (resp.status == 404) {
        http_response_clear(&resp);
        return nvd_error_set(err, NVD_ERR_NOT_FOUND, "image %s is not present on the Docker engine", image);
    }
    if (resp.status != 200) {
        cleanup_free char *message = api_error_message(&resp);
        http_response_clear(&resp);
        return nvd_error_set(err, NVD_ERR_INVALID, "inspecting image %s failed: %s", image, message);
    }

    json_error_t jerr;
    json_t *root = json_loadb(resp.body, resp.body_len, 0, &jerr);
    http_response_clear(&resp);
    if (!json_is_object(root)) {
        json_decref(root);
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "inspecting image %s failed: the Docker engine returned invalid JSON: %s",
                             image, jerr.text);
    }
    take_config(json_object_get(root, "Config"), config);
    json_decref(root);
    return 0;
}

/* Create the volume through the Engine API. Return 1 when the socket is
 * unreachable. */
static int api_create_volume(struct engine *e, const char *name, const char *driver,
                             nvd_error **err)
{
    json_t *request_json = json_pack("{s:s, s:s}", "Name", name, "Driver", driver);
    cleanup_free char *body = json_dumps(request_json, JSON_COMPACT);
    json_decref(request_json);
    struct http_request req = {
        .method = "POST", .target = "/volumes/create", .host_header = ENGINE_HOST_HEADER,
        .content_type = "application/json", .body = body, .body_len = strlen(body),
    };
    struct http_response resp;

    int rc = api_request(e, &req, &resp, err);
    if (rc < 0) {
        /* dockerd keeps looking for a volume plugin it cannot find, so the
         * usual cause of a timeout here is a plugin socket it cannot see. */
        nvd_error_wrap(err, "creating volume %s with driver %s failed (is nvidia-docker-plugin's "
                       "socket in dockerd's /run/docker/plugins, or named by "
                       "/etc/docker/plugins/nvidia-docker.spec?)", name, driver);
        return rc;
    }
    if (rc != 0)
        return rc;
    if (resp.status != 200 && resp.status != 201) {
        cleanup_free char *message = api_error_message(&resp);
        http_response_clear(&resp);
        return volume_create_error(name, driver, message, err);
    }

    /* Docker 20.10 rejects a name taken by another driver (409 Conflict).
     * The returned driver is checked too, in case another version returns
     * the existing volume. */
    json_t *root = json_loadb(resp.body, resp.body_len, 0, NULL);
    const char *actual = json_string_value(json_object_get(root, "Driver"));
    if (actual && strcmp(actual, driver) != 0) {
        nvd_error_set(err, NVD_ERR_INVALID,
                      "volume %s exists with driver %s instead of %s: remove it with "
                      "\"docker volume rm %s\" and run the command again",
                      name, actual, driver, name);
        rc = -1;
    }
    json_decref(root);
    http_response_clear(&resp);
    return rc;
}

/* ---------------------------------------------------------- docker command */

/* Inspect by running "docker inspect --type=image". */
static int cli_inspect_image(struct engine *e, const char *image, json_t **config,
                             nvd_error **err)
{
    const char *cmd[] = { "inspect", "--type=image", "--format", "{{json .Config}}", image, NULL };
    struct docker_result res;

    if (docker_run(e->docker, e->globals, e->global_count, cmd, DOCKER_OUT_CAPTURE, &res, err) < 0)
        return -1;
    if (res.status != 0) {
        cleanup_free char *message = docker_result_message(&res, "inspect");
        bool missing = strstr(message, "No such image") || strstr(message, "No such object");
        docker_result_clear(&res);
        if (missing)
            return nvd_error_set(err, NVD_ERR_NOT_FOUND, "image %s is not present on the Docker engine", image);
        return nvd_error_set(err, NVD_ERR_INVALID, "inspecting image %s failed: %s", image, message);
    }

    json_error_t jerr;
    json_t *root = json_loadb(res.out.data ? res.out.data : "", res.out.len, JSON_DECODE_ANY, &jerr);
    docker_result_clear(&res);
    if (!root) {
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "inspecting image %s failed: docker inspect printed invalid JSON: %s",
                             image, jerr.text);
    }
    take_config(root, config);
    json_decref(root);
    return 0;
}

/* Create the volume by running "docker volume create". */
static int cli_create_volume(struct engine *e, const char *name, const char *driver,
                             nvd_error **err)
{
    const char *cmd[] = { "volume", "create", "-d", driver, name, NULL };
    struct docker_result res;

    if (docker_run(e->docker, e->globals, e->global_count, cmd, DOCKER_OUT_DISCARD, &res, err) < 0)
        return -1;
    if (res.status != 0) {
        cleanup_free char *message = docker_result_message(&res, "volume create");
        docker_result_clear(&res);
        return volume_create_error(name, driver, message, err);
    }
    docker_result_clear(&res);
    return 0;
}

/* --------------------------------------------------------------- public */

int engine_inspect_image(struct engine *e, const char *image, json_t **config,
                         nvd_error **err)
{
    *config = NULL;
    if (e->socket_path) {
        int rc = api_inspect_image(e, image, config, err);
        if (rc <= 0)
            return rc;
    }
    return cli_inspect_image(e, image, config, err);
}

int engine_pull_image(struct engine *e, const char *image, const struct engine_pull *how,
                      nvd_error **err)
{
    const char *cmd[6] = { "pull" };
    size_t n = 1;
    struct docker_result res;

    if (how->platform) {
        cmd[n++] = "--platform";
        cmd[n++] = how->platform;
    }
    if (how->quiet)
        cmd[n++] = "-q";
    cmd[n++] = image;
    cmd[n] = NULL;
    if (docker_run(e->docker, e->globals, e->global_count, cmd,
                   how->quiet ? DOCKER_OUT_DISCARD : DOCKER_OUT_STDERR, &res, err) < 0)
        return -1;
    if (res.status != 0) {
        cleanup_free char *message = docker_result_message(&res, "pull");
        docker_result_clear(&res);
        return nvd_error_set(err, NVD_ERR_NOT_FOUND, "pulling image %s failed: %s", image, message);
    }
    docker_result_clear(&res);
    return 0;
}

int engine_create_volume(struct engine *e, const char *name, const char *driver,
                         nvd_error **err)
{
    if (e->socket_path) {
        int rc = api_create_volume(e, name, driver, err);
        if (rc <= 0)
            return rc;
    }
    return cli_create_volume(e, name, driver, err);
}
