/*
 * volume_api.c: Docker's volume plugin protocol on the Unix socket, with
 * nvidia-docker 1.0's replies. Every reply is HTTP 200 with JSON; a failed
 * request carries its cause in "Err". Only Docker's plugin Accept values
 * pass, and only POST is routed.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "plugin.h"
#include "util.h"

#define ACCEPT_PLUGIN_V1_1 "application/vnd.docker.plugins.v1.1+json"
#define ACCEPT_PLUGIN_V1_2 "application/vnd.docker.plugins.v1.2+json"

static inline void json_decref_ptr(json_t **json) { json_decref(*json); }
#define cleanup_json __attribute__((cleanup(json_decref_ptr)))

/* Set reply to the plugin protocol's 200 with the JSON text in b. */
static void reply_plugin_json(struct reply *reply, struct nvd_buf *b)
{
    nvd_buf_puts(b, "\n");
    reply_owned(reply, 200, CONTENT_TYPE_PLUGIN, nvd_buf_steal(b));
}

/* Append "\"key\":" and s as a JSON string, or null when s is NULL. */
static void append_member(struct nvd_buf *b, const char *key, const char *s)
{
    nvd_buf_printf(b, "\"%s\":", key);
    if (!s) {
        nvd_buf_puts(b, "null");
        return;
    }
    cleanup_free char *quoted = nvd_json_quote(s);
    nvd_buf_puts(b, quoted);
}

/* Log err, the failure of the request req, unless there is none. */
static void log_failure(const struct request *req, const nvd_error *err)
{
    if (err)
        nvd_log_error("%s: %s", req->path, err->msg);
}

/* Reply {"Err":...}, the reply of Create, Remove and Unmount. */
static void reply_err_only(struct reply *reply, const struct request *req, const nvd_error *err)
{
    struct nvd_buf b = {0};

    log_failure(req, err);
    nvd_buf_puts(&b, "{");
    append_member(&b, "Err", err ? err->msg : NULL);
    nvd_buf_puts(&b, "}");
    reply_plugin_json(reply, &b);
}

static const char *json_type_name(const json_t *json)
{
    switch (json_typeof(json)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/*
 * Read the volume name from the body of req, a JSON object such as
 * {"Name":"nvidia_driver_375.66","Opts":{}}. As with Go's encoding/json,
 * the key matches case-insensitively, the last match wins, other keys are
 * ignored, and a missing or null Name is the empty name.
 */
static int read_volume_name(const struct request *req, char **name, nvd_error **err)
{
    json_error_t json_err;

    if (req->body_too_large)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "request body too large: more than %d bytes", PLUGIN_BODY_MAX);
    if (req->body[strspn(req->body, " \t\r\n")] == '\0')
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "missing request body: expected a JSON object with the volume Name");

    cleanup_json json_t *root = json_loadb(req->body, req->body_len,
                                           JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &json_err);
    if (!root)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid JSON in the request body at line %d, column %d: %s",
                             json_err.line, json_err.column, json_err.text);
    if (!json_is_object(root) && !json_is_null(root))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid request body: expected a JSON object, got %s",
                             json_type_name(root));

    const json_t *value = NULL;
    if (json_is_object(root)) {
        const char *key;
        json_t *member;
        json_object_foreach(root, key, member) {
            if (strcasecmp(key, "Name") == 0)
                value = member;
        }
    }
    if (value && !json_is_string(value) && !json_is_null(value))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid request body: Name is %s, expected a string",
                             json_type_name(value));
    *name = nvd_xstrdup(value && json_is_string(value) ? json_string_value(value) : "");
    return 0;
}

/*
 * Read and check the volume name of req and split off its version. verb,
 * when not NULL, names the request in 1.0's "Received ..." log line.
 */
static int parse_volume_request(const struct request *req, const char *verb, char **name,
                                char *version, size_t version_size, nvd_error **err)
{
    if (read_volume_name(req, name, err) < 0)
        return -1;
    if (verb)
        nvd_log("Received %s request for volume '%s'", verb, *name);
    return nvd_volume_parse(*name, version, version_size, err);
}

/* Return the directory of an existing volume, or NULL with "no such volume". */
static char *find_volume(struct plugin *plugin, const char *name, const char *version,
                         nvd_error **err)
{
    cleanup_free char *path = nvd_volume_path(plugin->opts.volumes_dir, version);
    struct stat st;

    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            nvd_error_set(err, NVD_ERR_NOT_FOUND, "no such volume: %s", name);
        else
            nvd_error_sys(err, errno, "failed to check volume %s at %s", name, path);
        return NULL;
    }
    return steal_pointer(&path);
}

static void handle_activate(struct plugin *plugin, const struct request *req,
                            struct reply *reply)
{
    nvd_log("Received activate request");
    reply_static(reply, 200, CONTENT_TYPE_PLUGIN, "{\"Implements\":[\"VolumeDriver\"]}\n");
    nvd_log("Plugins activated [VolumeDriver]");
}

/* Build the volume of the current driver unless it exists. */
static int create_volume(struct plugin *plugin, const char *name, const char *version,
                         nvd_error **err)
{
    cleanup_host struct plugin_host *ref = plugin_host_acquire(plugin, err);

    if (!ref)
        return -1;
    if (strcmp(version, ref->host->driver_version) != 0)
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid volume version: %s", name);

    pthread_mutex_lock(&plugin->volume_lock);
    int rc = nvd_volume_create(ref->host, plugin->opts.volumes_dir, err);
    pthread_mutex_unlock(&plugin->volume_lock);
    return rc;
}

static void handle_create(struct plugin *plugin, const struct request *req,
                          struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_free char *name = NULL;
    char version[NVD_VERSION_MAX];

    if (parse_volume_request(req, "create", &name, version, sizeof(version), &err) == 0)
        create_volume(plugin, name, version, &err);
    reply_err_only(reply, req, err);
}

/* Delete the directory of a volume of any version; a missing one is no error. */
static int remove_volume(struct plugin *plugin, const char *version, nvd_error **err)
{
    cleanup_free char *path = nvd_volume_path(plugin->opts.volumes_dir, version);

    pthread_mutex_lock(&plugin->volume_lock);
    int rc = nvd_remove_tree(path, err);
    pthread_mutex_unlock(&plugin->volume_lock);
    return rc;
}

static void handle_remove(struct plugin *plugin, const struct request *req,
                          struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_free char *name = NULL;
    char version[NVD_VERSION_MAX];

    if (parse_volume_request(req, "remove", &name, version, sizeof(version), &err) == 0)
        remove_volume(plugin, version, &err);
    reply_err_only(reply, req, err);
}

/* Mount and Path: {"Mountpoint":...,"Err":...}. Both log as mount, as in 1.0. */
static void handle_mount(struct plugin *plugin, const struct request *req,
                         struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_free char *name = NULL;
    cleanup_free char *path = NULL;
    char version[NVD_VERSION_MAX];
    struct nvd_buf b = {0};

    if (parse_volume_request(req, "mount", &name, version, sizeof(version), &err) == 0)
        path = find_volume(plugin, name, version, &err);

    log_failure(req, err);
    nvd_buf_puts(&b, "{");
    append_member(&b, "Mountpoint", path);
    nvd_buf_puts(&b, ",");
    append_member(&b, "Err", err ? err->msg : NULL);
    nvd_buf_puts(&b, "}");
    reply_plugin_json(reply, &b);
}

static void handle_unmount(struct plugin *plugin, const struct request *req,
                           struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_free char *name = NULL;
    char version[NVD_VERSION_MAX];

    parse_volume_request(req, "unmount", &name, version, sizeof(version), &err);
    reply_err_only(reply, req, err);
}

/* Append {"Name":...,"Mountpoint":...}, one volume of Get and List. */
static void append_volume(struct nvd_buf *b, const char *name, const char *path)
{
    nvd_buf_puts(b, "{");
    append_member(b, "Name", name);
    nvd_buf_puts(b, ",");
    append_member(b, "Mountpoint", path);
    nvd_buf_puts(b, "}");
}

static void handle_get(struct plugin *plugin, const struct request *req,
                       struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_free char *name = NULL;
    cleanup_free char *path = NULL;
    char version[NVD_VERSION_MAX];
    struct nvd_buf b = {0};

    if (parse_volume_request(req, NULL, &name, version, sizeof(version), &err) == 0)
        path = find_volume(plugin, name, version, &err);

    log_failure(req, err);
    nvd_buf_puts(&b, "{\"Volume\":");
    if (path)
        append_volume(&b, name, path);
    else
        nvd_buf_puts(&b, "null");
    nvd_buf_puts(&b, ",");
    append_member(&b, "Err", err ? err->msg : NULL);
    nvd_buf_puts(&b, "}");
    reply_plugin_json(reply, &b);
}

static int compare_entry_names(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * Append the volumes found in <volumes_dir>/nvidia_driver to b as a JSON
 * array, sorted by name, or null when there are none. An entry whose name
 * is no valid version (such as a build in progress) is left out.
 */
static int append_volume_list(struct plugin *plugin, struct nvd_buf *b, nvd_error **err)
{
    cleanup_free char *base_dir = nvd_xasprintf("%s/%s", plugin->opts.volumes_dir,
                                                NVD_VOLUME_BASE);
    struct dirent **entries = NULL;
    size_t listed = 0;

    int count = scandir(base_dir, &entries, NULL, compare_entry_names);
    if (count < 0) {
        if (errno != ENOENT)
            return nvd_error_sys(err, errno, "failed to list volumes in %s", base_dir);
        nvd_buf_puts(b, "null");
        return 0;
    }
    for (int i = 0; i < count; i++) {
        cleanup_free char *name = nvd_xasprintf(NVD_VOLUME_BASE "_%s", entries[i]->d_name);
        char version[NVD_VERSION_MAX];

        if (nvd_volume_parse(name, version, sizeof(version), NULL) == 0) {
            cleanup_free char *path = nvd_volume_path(plugin->opts.volumes_dir, version);
            nvd_buf_puts(b, listed == 0 ? "[" : ",");
            append_volume(b, name, path);
            listed++;
        }
        free(entries[i]);
    }
    free(entries);
    nvd_buf_puts(b, listed == 0 ? "null" : "]");
    return 0;
}

static void handle_list(struct plugin *plugin, const struct request *req,
                        struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    struct nvd_buf list = {0};
    struct nvd_buf b = {0};

    nvd_buf_puts(&b, "{\"Volumes\":");
    if (append_volume_list(plugin, &list, &err) == 0)
        nvd_buf_append(&b, list.data, list.len);
    else
        nvd_buf_puts(&b, "null");
    nvd_buf_free(&list);

    log_failure(req, err);
    nvd_buf_puts(&b, ",");
    append_member(&b, "Err", err ? err->msg : NULL);
    nvd_buf_puts(&b, "}");
    reply_plugin_json(reply, &b);
}

static void handle_capabilities(struct plugin *plugin, const struct request *req,
                                struct reply *reply)
{
    reply_static(reply, 200, CONTENT_TYPE_PLUGIN, "{\"Capabilities\":{\"Scope\":\"local\"}}\n");
}

static const struct route volume_routes[] = {
    {"POST", "/Plugin.Activate", handle_activate},
    {"POST", "/VolumeDriver.Create", handle_create},
    {"POST", "/VolumeDriver.Remove", handle_remove},
    {"POST", "/VolumeDriver.Mount", handle_mount},
    {"POST", "/VolumeDriver.Path", handle_mount},
    {"POST", "/VolumeDriver.Unmount", handle_unmount},
    {"POST", "/VolumeDriver.Get", handle_get},
    {"POST", "/VolumeDriver.List", handle_list},
    {"POST", "/VolumeDriver.Capabilities", handle_capabilities},
};

void volume_api_dispatch(struct plugin *plugin, const struct request *req,
                         struct reply *reply)
{
    /* 1.0 replies 406 to anything but Docker's plugin client, whatever the path. */
    if (!req->accept || (strcmp(req->accept, ACCEPT_PLUGIN_V1_1) != 0 &&
                         strcmp(req->accept, ACCEPT_PLUGIN_V1_2) != 0)) {
        nvd_log("Unsupported plugin API %s", req->accept ? req->accept : "");
        reply_static(reply, 406, NULL, "");
        return;
    }

    const struct route *route = route_find(volume_routes,
                                           sizeof(volume_routes) / sizeof(volume_routes[0]),
                                           req->method, req->path);
    if (!route) {
        reply_not_found(reply);
        return;
    }
    route->handler(plugin, req, reply);
}
