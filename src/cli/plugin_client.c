/*
 * plugin_client.c: requests to the local nvidia-docker-plugin REST API and
 * the checks on its replies. A reply is checked before any of it reaches
 * docker's command line.
 */
#include <jansson.h>
#include <string.h>

#include "http.h"
#include "plugin_client.h"
#include "util.h"

#define PLUGIN_ADDRESS PLUGIN_HOST ":" PLUGIN_PORT

int plugin_check_local(const char *nv_host, nvd_error **err)
{
    if (!nv_host || !*nv_host)
        return 0;
    /* TODO: remote mode (NV_HOST, http:// and ssh:// to a remote plugin). */
    return nvd_error_set(err, NVD_ERR_UNSUPPORTED,
                         "NV_HOST=%s selects a remote nvidia-docker-plugin, which is not "
                         "supported yet: unset NV_HOST to use the plugin at %s",
                         nv_host, PLUGIN_ADDRESS);
}

char *plugin_device_query(const char *nv_gpu)
{
    struct nvd_buf query = { 0 };

    if (!nv_gpu)
        return NULL;
    for (const char *p = nv_gpu; *p;) {
        size_t len = strcspn(p, " ,");
        if (len > 0) {
            cleanup_free char *piece = nvd_xasprintf("%.*s", (int)len, p);
            cleanup_free char *escaped = http_escape(piece, false);
            if (query.len > 0)
                nvd_buf_puts(&query, "+");
            nvd_buf_puts(&query, escaped);
        }
        p += len;
        if (*p)
            p++;
    }
    return query.len > 0 ? nvd_buf_steal(&query) : NULL;
}

/* Return true when s[0..len) is an absolute path without whitespace,
 * control characters or ':'. */
static bool is_plain_path(const char *s, size_t len)
{
    if (len == 0 || s[0] != '/')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == ':')
            return false;
    }
    return true;
}

/* Return true when entry is "/dev/X" or "<host path>:/dev/X". */
static bool is_valid_device(const char *entry)
{
    const char *colon = strchr(entry, ':');

    if (!colon)
        return is_plain_path(entry, strlen(entry));
    return is_plain_path(entry, (size_t)(colon - entry)) &&
           is_plain_path(colon + 1, strlen(colon + 1));
}

size_t plugin_volume_name_len(const char *entry)
{
    return strcspn(entry, ":");
}

/* Return true when entry is "<name>:<absolute path>[:<mode>]" with a name
 * docker accepts for a volume. */
static bool is_valid_volume(const char *entry)
{
    size_t name_len = plugin_volume_name_len(entry);

    if (name_len == 0 || entry[name_len] != ':')
        return false;
    for (size_t i = 0; i < name_len; i++) {
        char c = entry[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || !strchr("_.-", c)))
            return false;
    }

    const char *path = entry + name_len + 1;
    const char *mode = strchr(path, ':');
    if (!is_plain_path(path, mode ? (size_t)(mode - path) : strlen(path)))
        return false;
    if (mode) {
        if (mode[1] == '\0')
            return false;
        for (const char *m = mode + 1; *m; m++) {
            if (!((*m >= 'a' && *m <= 'z') || *m == ','))
                return false;
        }
    }
    return true;
}

/* Copy the strings of the JSON array `key` of root into *items after
 * checking each with valid(). */
static int take_string_array(json_t *root, const char *key, bool (*valid)(const char *),
                             char ***items, size_t *count, nvd_error **err)
{
    json_t *array = json_object_get(root, key);

    if (!json_is_array(array))
        return nvd_error_set(err, NVD_ERR_INVALID, "\"%s\" is not an array", key);
    *items = nvd_xcalloc(json_array_size(array) + 1, sizeof(**items));
    *count = 0;

    size_t i;
    json_t *item;
    json_array_foreach(array, i, item) {
        const char *s = json_string_value(item);
        if (!s || !valid(s))
            return nvd_error_set(err, NVD_ERR_INVALID, "invalid %s entry \"%s\"", key,
                                 s ? s : "(not a string)");
        (*items)[(*count)++] = nvd_xstrdup(s);
    }
    return 0;
}

int plugin_parse_docker_cli(const char *body, size_t len,
                            struct plugin_docker_cli *out, nvd_error **err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(root)) {
        nvd_error_set(err, NVD_ERR_INVALID, "invalid JSON: %s",
                      root ? "not an object" : jerr.text);
        goto out;
    }

    json_t *driver = json_object_get(root, "VolumeDriver");
    if (driver && !json_is_string(driver)) {
        nvd_error_set(err, NVD_ERR_INVALID, "\"VolumeDriver\" is not a string");
        goto out;
    }
    if (driver && json_string_length(driver) > 0)
        out->volume_driver = nvd_xstrdup(json_string_value(driver));

    if (take_string_array(root, "Volumes", is_valid_volume, &out->volumes,
                          &out->volume_count, err) < 0 ||
        take_string_array(root, "Devices", is_valid_device, &out->devices,
                          &out->device_count, err) < 0)
        goto out;
    rc = 0;
out:
    json_decref(root);
    if (rc < 0)
        plugin_docker_cli_clear(out);
    return rc;
}

void plugin_docker_cli_clear(struct plugin_docker_cli *cli)
{
    for (size_t i = 0; cli->volumes && i < cli->volume_count; i++)
        free(cli->volumes[i]);
    for (size_t i = 0; cli->devices && i < cli->device_count; i++)
        free(cli->devices[i]);
    free(cli->volumes);
    free(cli->devices);
    free(cli->volume_driver);
    memset(cli, 0, sizeof(*cli));
}

/* GET target from the plugin and return the body of a 200 reply in resp.
 * A 400 reply fails with the plugin's message as it is. */
static int plugin_get(const char *target, struct http_response *resp, nvd_error **err)
{
    int64_t deadline = http_now_ms() + HTTP_TIMEOUT_MS;
    cleanup_error nvd_error *connect_err = NULL;
    cleanup_close int fd = http_connect(
        &(struct http_endpoint){ .host = PLUGIN_HOST, .port = PLUGIN_PORT },
        deadline, &connect_err);

    if (fd < 0) {
        return nvd_error_set(err, NVD_ERR_NOT_FOUND,
                             "the nvidia-docker plugin at %s could not be reached (%s): "
                             "start nvidia-docker-plugin, for example with "
                             "\"systemctl start nvidia-docker\"",
                             PLUGIN_ADDRESS, connect_err->msg);
    }

    struct http_request req = {
        .method = "GET", .target = target, .host_header = PLUGIN_ADDRESS,
    };
    if (http_roundtrip(fd, &req, deadline, resp, err) < 0)
        return nvd_error_wrap(err, "GET %s from the nvidia-docker plugin at %s failed",
                              target, PLUGIN_ADDRESS);
    if (resp->status == 200)
        return 0;

    size_t len = resp->body_len;
    while (len > 0 && strchr(" \t\r\n", resp->body[len - 1]))
        len--;
    if (resp->status == 400 && len > 0)
        nvd_error_set(err, NVD_ERR_INVALID, "%.*s", (int)len, resp->body);
    else
        nvd_error_set(err, NVD_ERR_INVALID,
                      "GET %s from the nvidia-docker plugin at %s failed: HTTP %d %s%s%.*s",
                      target, PLUGIN_ADDRESS, resp->status, resp->reason,
                      len > 0 ? ": " : "", (int)(len > 200 ? 200 : len), resp->body);
    http_response_clear(resp);
    return -1;
}

int plugin_get_docker_cli(const char *dev_query, struct plugin_docker_cli *out,
                          nvd_error **err)
{
    cleanup_free char *target = nvd_xasprintf("/docker/cli/json?vol=%s%s%s", NVD_VOLUME_BASE,
                                              dev_query ? "&dev=" : "",
                                              dev_query ? dev_query : "");
    struct http_response resp;

    if (plugin_get(target, &resp, err) < 0)
        return -1;
    int rc = plugin_parse_docker_cli(resp.body, resp.body_len, out, err);
    http_response_clear(&resp);
    if (rc < 0)
        return nvd_error_wrap(err, "the reply of the nvidia-docker plugin to GET %s is invalid",
                              target);
    return 0;
}

int plugin_get_gpu_info(json_t **info, nvd_error **err)
{
    struct http_response resp;
    json_error_t jerr;

    *info = NULL;
    if (plugin_get("/gpu/info/json", &resp, err) < 0)
        return -1;
    json_t *root = json_loadb(resp.body, resp.body_len, 0, &jerr);
    http_response_clear(&resp);
    if (!json_is_object(root) || !json_is_object(json_object_get(root, "Version")) ||
        !json_is_array(json_object_get(root, "Devices"))) {
        json_decref(root);
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "the reply of the nvidia-docker plugin to GET /gpu/info/json is "
                             "invalid: %s",
                             root ? "expected an object with Version and Devices" : jerr.text);
    }
    *info = root;
    return 0;
}
