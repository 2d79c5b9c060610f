/*
 * volume_api.c: Docker's volume plugin protocol on the Unix socket, with
 * nvidia-docker 1.0's replies. Every reply is HTTP 200 with JSON; a failed
 * request carries its cause in "Err". Only Docker's plugin Accept values
 * pass, and only POST is routed.
 *
 * Every well-formed nvidia_driver_<version> is served with the current
 * driver's files, so a container created before a driver upgrade still
 * starts. Mounts are recorded by Docker's caller ID in <-d>/mounts.json
 * (volume_state.c), so that no directory in use is deleted, even after a
 * restart of the plugin.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "plugin.h"
#include "util.h"
#include "volume_state.h"

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

/* Return the member of object whose key matches key case-insensitively, the last if several do. */
static const json_t *member_nocase(const json_t *object, const char *key)
{
    const json_t *value = NULL;
    const char *k;
    json_t *member;

    json_object_foreach((json_t *)object, k, member) {
        if (strcasecmp(k, key) == 0)
            value = member;
    }
    return value;
}

/*
 * Read the string member key of root into *out: "" when root is null or
 * the member is missing or null, an error naming the member otherwise.
 */
static int read_string_member(const json_t *root, const char *key, char **out,
                              nvd_error **err)
{
    const json_t *value = json_is_object(root) ? member_nocase(root, key) : NULL;

    if (value && !json_is_string(value) && !json_is_null(value))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid request body: %s is %s, expected a string", key,
                             json_type_name(value));
    *out = nvd_xstrdup(value && json_is_string(value) ? json_string_value(value) : "");
    return 0;
}

/*
 * Read the volume name and Docker's caller ID (empty when absent) from the
 * body of req, a JSON object such as {"Name":"nvidia_driver_375.66","ID":"..."}.
 * As with Go's encoding/json, keys match case-insensitively, the last
 * match wins, other keys are ignored, and a missing or null member is empty.
 */
static int read_volume_body(const struct request *req, char **name, char **id, nvd_error **err)
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
    if (read_string_member(root, "Name", name, err) < 0)
        return -1;
    return read_string_member(root, "ID", id, err);
}

/* A parsed volume request. */
struct volume_request {
    char *name;
    char *id;                       /* Docker's caller ID, or "" when absent */
    char version[NVD_VERSION_MAX];  /* the version part of name */
};

static void volume_request_clear(struct volume_request *vr)
{
    free(vr->name);
    free(vr->id);
}
#define cleanup_volume_request __attribute__((cleanup(volume_request_clear)))

/*
 * Read and check the volume name of req and split off its version. verb,
 * when not NULL, names the request in 1.0's "Received ..." log line.
 */
static int parse_volume_request(const struct request *req, const char *verb,
                                struct volume_request *vr, nvd_error **err)
{
    if (read_volume_body(req, &vr->name, &vr->id, err) < 0)
        return -1;
    if (verb)
        nvd_log("Received %s request for volume '%s'", verb, vr->name);
    return nvd_volume_parse(vr->name, vr->version, sizeof(vr->version), err);
}

/* Log err, the failure of the volume request req, with the volume name and caller ID. */
static void log_volume_failure(const struct request *req, const struct volume_request *vr,
                               const nvd_error *err)
{
    if (!err)
        return;
    if (vr->id && vr->id[0])
        nvd_log_error("%s of volume '%s' (ID %s): %s", req->path, vr->name ? vr->name : "",
                      vr->id, err->msg);
    else
        nvd_log_error("%s of volume '%s': %s", req->path, vr->name ? vr->name : "", err->msg);
}

/* Reply {"Err":...}, the reply of Create, Remove and Unmount. */
static void reply_volume_err(struct reply *reply, const struct request *req,
                             const struct volume_request *vr, const nvd_error *err)
{
    struct nvd_buf b = {0};

    log_volume_failure(req, vr, err);
    nvd_buf_puts(&b, "{");
    append_member(&b, "Err", err ? err->msg : NULL);
    nvd_buf_puts(&b, "}");
    reply_plugin_json(reply, &b);
}

/*
 * Log "Serving volume <name> with driver <current>'s files" the first time
 * an older name is served by this driver version in this process.
 */
static void log_served_by_current(const char *name, const char *current)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static struct nvd_buf logged;   /* "\n<name> <current>\n" per pair logged */
    cleanup_free char *line = nvd_xasprintf("\n%s %s\n", name, current);

    pthread_mutex_lock(&lock);
    if (!logged.data || !strstr(logged.data, line)) {
        nvd_buf_puts(&logged, line + (logged.data ? 1 : 0));
        nvd_log("Serving volume %s with driver %s's files", name, current);
    }
    pthread_mutex_unlock(&lock);
}

/*
 * Return the directory that serves the volume vr: the current driver's,
 * built first when missing, whatever the version in the name. Without a
 * driver, an existing directory of the name's own version is served.
 * served_version receives the version of the directory. Called with
 * volume_lock held.
 */
static char *serve_volume_locked(struct plugin *plugin, const struct volume_request *vr,
                                 char served_version[NVD_VERSION_MAX], nvd_error **err)
{
    const char *volumes_dir = plugin->opts.volumes_dir;
    cleanup_error nvd_error *host_err = NULL;
    cleanup_host struct plugin_host *ref = plugin_host_acquire(plugin, &host_err);

    if (!ref) {
        cleanup_free char *path = nvd_volume_path(volumes_dir, vr->version);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
            *err = steal_pointer(&host_err);
            return NULL;
        }
        snprintf(served_version, NVD_VERSION_MAX, "%s", vr->version);
        return steal_pointer(&path);
    }

    const char *current = ref->host->driver_version;
    if (nvd_volume_create(ref->host, volumes_dir, err) < 0)
        return NULL;
    if (strcmp(vr->version, current) != 0)
        log_served_by_current(vr->name, current);
    snprintf(served_version, NVD_VERSION_MAX, "%s", current);
    return nvd_volume_path(volumes_dir, current);
}

static void handle_activate(struct plugin *plugin, const struct request *req,
                            struct reply *reply)
{
    nvd_log("Received activate request");
    reply_static(reply, 200, CONTENT_TYPE_PLUGIN, "{\"Implements\":[\"VolumeDriver\"]}\n");
    nvd_log("Plugins activated [VolumeDriver]");
}

/* Build the volume of the current driver unless it exists, and remember its name. */
static int create_volume(struct plugin *plugin, const struct volume_request *vr,
                         nvd_error **err)
{
    const char *volumes_dir = plugin->opts.volumes_dir;
    cleanup_host struct plugin_host *ref = plugin_host_acquire(plugin, err);
    cleanup_volume_state struct volume_state state = {0};
    int rc = -1;

    if (!ref)
        return -1;
    if (strcmp(vr->version, ref->host->driver_version) != 0)
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid volume version: %s", vr->name);

    pthread_mutex_lock(&plugin->volume_lock);
    if (nvd_volume_create(ref->host, volumes_dir, err) == 0 &&
        volume_state_load(volumes_dir, &state, err) == 0) {
        /* The save syncs the file, so it is skipped when nothing changed. */
        rc = volume_state_add_name(&state, vr->name) ? volume_state_save(volumes_dir, &state, err)
                                                     : 0;
    }
    pthread_mutex_unlock(&plugin->volume_lock);
    return rc;
}

static void handle_create(struct plugin *plugin, const struct request *req,
                          struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_volume_request struct volume_request vr = {0};

    if (parse_volume_request(req, "create", &vr, &err) == 0)
        create_volume(plugin, &vr, &err);
    reply_volume_err(reply, req, &vr, err);
}

/*
 * Forget the volume vr and delete the directory of its version unless a
 * mount is served from it. A volume that a container mounts stays.
 */
static int remove_volume(struct plugin *plugin, const struct volume_request *vr,
                         nvd_error **err)
{
    const char *volumes_dir = plugin->opts.volumes_dir;
    cleanup_volume_state struct volume_state state = {0};
    int rc = -1;

    pthread_mutex_lock(&plugin->volume_lock);
    if (volume_state_load(volumes_dir, &state, err) < 0)
        goto out;

    size_t mounts = volume_state_mounts_of(&state, vr->name);
    if (mounts > 0) {
        nvd_error_set(err, NVD_ERR_INVALID,
                      "volume %s is in use by %zu containers: remove them first",
                      vr->name, mounts);
        goto out;
    }
    if (volume_state_version_in_use(&state, vr->version)) {
        nvd_log("Keeping the directory of driver %s for volume %s: other volumes mount it",
                vr->version, vr->name);
    } else {
        cleanup_free char *path = nvd_volume_path(volumes_dir, vr->version);
        struct stat st;
        bool existed = lstat(path, &st) == 0;
        if (nvd_remove_tree(path, err) < 0)
            goto out;
        if (existed)
            nvd_log("Removed %s for volume %s", path, vr->name);
    }
    volume_state_remove_name(&state, vr->name);
    rc = volume_state_save(volumes_dir, &state, err);
out:
    pthread_mutex_unlock(&plugin->volume_lock);
    return rc;
}

static void handle_remove(struct plugin *plugin, const struct request *req,
                          struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_volume_request struct volume_request vr = {0};

    if (parse_volume_request(req, "remove", &vr, &err) == 0)
        remove_volume(plugin, &vr, &err);
    reply_volume_err(reply, req, &vr, err);
}

/* Reply {"Mountpoint":...,"Err":...}, the reply of Mount and Path. */
static void reply_mountpoint(struct reply *reply, const struct request *req,
                             const struct volume_request *vr, const char *path,
                             const nvd_error *err)
{
    struct nvd_buf b = {0};

    log_volume_failure(req, vr, err);
    nvd_buf_puts(&b, "{");
    append_member(&b, "Mountpoint", path);
    nvd_buf_puts(&b, ",");
    append_member(&b, "Err", err ? err->msg : NULL);
    nvd_buf_puts(&b, "}");
    reply_plugin_json(reply, &b);
}

/* Serve the volume vr and record the mount by its caller ID. */
static char *mount_volume(struct plugin *plugin, const struct volume_request *vr,
                          nvd_error **err)
{
    const char *volumes_dir = plugin->opts.volumes_dir;
    cleanup_volume_state struct volume_state state = {0};
    cleanup_free char *path = NULL;
    char served[NVD_VERSION_MAX];

    /*
     * NOTE: Docker engines older than 1.13 send no ID, so all their mounts
     * of one name share the record "" and the first Unmount drops it.
     */
    pthread_mutex_lock(&plugin->volume_lock);
    path = serve_volume_locked(plugin, vr, served, err);
    if (path && volume_state_load(volumes_dir, &state, err) == 0) {
        volume_state_add_name(&state, vr->name);
        if (!volume_state_add_mount(&state, vr->name, vr->id, served))
            nvd_log("Volume %s was already mounted by ID %s", vr->name, vr->id);
        if (volume_state_save(volumes_dir, &state, err) < 0)
            free(steal_pointer(&path));
    } else {
        free(steal_pointer(&path));
    }
    pthread_mutex_unlock(&plugin->volume_lock);
    return steal_pointer(&path);
}

/* Mount logs as mount, as in 1.0. */
static void handle_mount(struct plugin *plugin, const struct request *req,
                         struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_volume_request struct volume_request vr = {0};
    cleanup_free char *path = NULL;

    if (parse_volume_request(req, "mount", &vr, &err) == 0)
        path = mount_volume(plugin, &vr, &err);
    reply_mountpoint(reply, req, &vr, path, err);
}

/* Path logs as mount, as in 1.0, and records nothing. */
static void handle_path(struct plugin *plugin, const struct request *req,
                        struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_volume_request struct volume_request vr = {0};
    cleanup_free char *path = NULL;
    char served[NVD_VERSION_MAX];

    if (parse_volume_request(req, "mount", &vr, &err) == 0) {
        pthread_mutex_lock(&plugin->volume_lock);
        path = serve_volume_locked(plugin, &vr, served, &err);
        pthread_mutex_unlock(&plugin->volume_lock);
    }
    reply_mountpoint(reply, req, &vr, path, err);
}

/*
 * Drop the mount of vr by its caller ID, then delete the directories of
 * older drivers that no mount needs any more.
 */
static int unmount_volume(struct plugin *plugin, const struct volume_request *vr,
                          nvd_error **err)
{
    const char *volumes_dir = plugin->opts.volumes_dir;
    cleanup_volume_state struct volume_state state = {0};
    int rc = -1;

    pthread_mutex_lock(&plugin->volume_lock);
    if (volume_state_load(volumes_dir, &state, err) == 0) {
        if (volume_state_remove_mount(&state, vr->name, vr->id))
            rc = volume_state_save(volumes_dir, &state, err);
        else {
            nvd_log("Unmount of volume %s by ID %s: no such mount recorded", vr->name, vr->id);
            rc = 0;
        }
    }
    if (rc == 0) {
        cleanup_error nvd_error *host_err = NULL;
        cleanup_host struct plugin_host *ref = plugin_host_acquire(plugin, &host_err);
        if (ref)
            volume_cleanup_versions(volumes_dir, &state, ref->host->driver_version);
    }
    pthread_mutex_unlock(&plugin->volume_lock);
    return rc;
}

static void handle_unmount(struct plugin *plugin, const struct request *req,
                           struct reply *reply)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_volume_request struct volume_request vr = {0};

    if (parse_volume_request(req, "unmount", &vr, &err) == 0)
        unmount_volume(plugin, &vr, &err);
    reply_volume_err(reply, req, &vr, err);
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
    cleanup_volume_request struct volume_request vr = {0};
    cleanup_free char *path = NULL;
    char served[NVD_VERSION_MAX];
    struct nvd_buf b = {0};

    if (parse_volume_request(req, NULL, &vr, &err) == 0) {
        pthread_mutex_lock(&plugin->volume_lock);
        path = serve_volume_locked(plugin, &vr, served, &err);
        pthread_mutex_unlock(&plugin->volume_lock);
    }

    log_volume_failure(req, &vr, err);
    nvd_buf_puts(&b, "{\"Volume\":");
    if (path)
        append_volume(&b, vr.name, path);
    else
        nvd_buf_puts(&b, "null");
    nvd_buf_puts(&b, ",");
    append_member(&b, "Err", err ? err->msg : NULL);
    nvd_buf_puts(&b, "}");
    reply_plugin_json(reply, &b);
}

/* Add the volume names of the version directories under <volumes_dir>/nvidia_driver. */
static int add_directory_names(const char *volumes_dir, struct volume_state *names,
                               nvd_error **err)
{
    cleanup_free char *base_dir = nvd_xasprintf("%s/%s", volumes_dir, NVD_VOLUME_BASE);
    cleanup_dir DIR *dir = opendir(base_dir);
    struct dirent *entry;

    if (!dir) {
        if (errno == ENOENT)
            return 0;
        return nvd_error_sys(err, errno, "failed to list volumes in %s", base_dir);
    }
    while ((entry = readdir(dir))) {
        cleanup_free char *name = nvd_xasprintf(NVD_VOLUME_BASE "_%s", entry->d_name);
        char version[NVD_VERSION_MAX];

        /* An entry whose name is no valid version (such as "." or a file) is left out. */
        if (nvd_volume_parse(name, version, sizeof(version), NULL) == 0)
            volume_state_add_name(names, name);
    }
    return 0;
}

/*
 * Append the volumes to b as a JSON array sorted by name, or null when
 * there are none: the names Docker created or mounted, and those of the
 * version directories present. Each has the Mountpoint that Get returns,
 * the current driver's directory, or its own when no driver is found.
 */
static int append_volume_list(struct plugin *plugin, struct nvd_buf *b, nvd_error **err)
{
    const char *volumes_dir = plugin->opts.volumes_dir;
    cleanup_volume_state struct volume_state state = {0};
    cleanup_error nvd_error *host_err = NULL;
    cleanup_host struct plugin_host *ref = plugin_host_acquire(plugin, &host_err);

    pthread_mutex_lock(&plugin->volume_lock);
    int rc = volume_state_load(volumes_dir, &state, err);
    if (rc == 0)
        rc = add_directory_names(volumes_dir, &state, err);
    pthread_mutex_unlock(&plugin->volume_lock);
    if (rc < 0)
        return -1;

    for (size_t i = 0; i < state.mount_count; i++)
        volume_state_add_name(&state, state.mounts[i].name);
    size_t listed = 0;
    for (size_t i = 0; i < state.name_count; i++) {
        char version[NVD_VERSION_MAX];
        if (nvd_volume_parse(state.names[i], version, sizeof(version), NULL) < 0)
            continue;
        cleanup_free char *path =
            nvd_volume_path(volumes_dir, ref ? ref->host->driver_version : version);
        nvd_buf_puts(b, listed == 0 ? "[" : ",");
        append_volume(b, state.names[i], path);
        listed++;
    }
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
    {"POST", "/VolumeDriver.Path", handle_path},
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
