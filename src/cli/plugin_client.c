/*
 * plugin_client.c: requests to the REST API of nvidia-docker-plugin, and
 * the checks on its replies. A reply is checked before any of it reaches
 * docker's command line. The target is chosen once; one connection (or one
 * ssh) serves every request of a run, kept alive between them.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "http.h"
#include "local_plugin.h"
#include "nv_host.h"
#include "plugin_client.h"
#include "quote.h"
#include "ssh_tunnel.h"
#include "util.h"

#define PLUGIN_ADDRESS PLUGIN_HOST ":" PLUGIN_PORT

/* The target of the requests, and the open connection to it. */
static struct plugin_target {
    bool chosen;
    struct nv_host host;        /* NV_HOST_LOCAL: the local plugin */
    char *address;              /* for messages */
    int fd;                     /* an open connection, or -1 */
    struct ssh_tunnel ssh;      /* the ssh behind fd, for NV_HOST_SSH */
    struct nvd_host *discovered; /* local mode without a plugin */
} current = { .fd = -1, .ssh = SSH_TUNNEL_INIT };

int plugin_client_init(const char *nv_host, const char *remote_docker_host, nvd_error **err)
{
    int rc;

    plugin_client_close();
    if (nv_host && *nv_host)
        rc = nv_host_parse(nv_host, &current.host, err);
    else if (remote_docker_host)
        rc = nv_host_from_docker_host(remote_docker_host, &current.host, err);
    else
        rc = nv_host_parse(NULL, &current.host, err);
    if (rc < 0) {
        if (!(nv_host && *nv_host))
            nvd_error_wrap(err, "finding nvidia-docker-plugin on the host of the remote Docker "
                                "engine failed (set NV_HOST to name the plugin)");
        return -1;
    }
    current.address = nv_host_describe(&current.host);
    current.chosen = true;
    return 0;
}

/* Close the connection. With ssh, return its stderr as a new string,
 * which explains a failure; otherwise return NULL. */
static char *disconnect(bool failed)
{
    char *ssh_text = NULL;

    if (current.ssh.pid > 0) {
        ssh_text = ssh_tunnel_close(&current.ssh, failed);
        current.fd = -1;
    } else if (current.fd >= 0) {
        close(current.fd);
        current.fd = -1;
    }
    return ssh_text;
}

void plugin_client_close(void)
{
    free(disconnect(false));
    nv_host_clear(&current.host);
    free(current.address);
    current.address = NULL;
    nvd_host_free(current.discovered);
    current.discovered = NULL;
    current.chosen = false;
}

bool plugin_client_in_process(void)
{
    return current.discovered != NULL;
}

bool plugin_client_is_loopback(void)
{
    return nv_host_is_loopback(&current.host);
}

char *plugin_client_address(void)
{
    return nvd_xstrdup(current.address ? current.address : PLUGIN_ADDRESS);
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
        if (!s || !valid(s)) {
            cleanup_free char *shown = s ? nvd_quote_str(s) : nvd_xstrdup("(not a string)");
            return nvd_error_set(err, NVD_ERR_INVALID, "invalid %s entry \"%s\"", key, shown);
        }
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

/* Return true when a connection failed because nothing listens there. */
static bool is_no_listener(const nvd_error *e)
{
    return e->kind == NVD_ERR_SYSTEM &&
           (e->errnum == ECONNREFUSED || e->errnum == ENETUNREACH ||
            e->errnum == EHOSTUNREACH || e->errnum == EADDRNOTAVAIL);
}

/* Open the connection to the target before deadline: TCP, or ssh. */
static int connect_target(int64_t deadline, nvd_error **err)
{
    if (current.host.kind == NV_HOST_SSH) {
        if (ssh_tunnel_open(&current.host, &current.ssh, err) < 0)
            return -1;
        current.fd = current.ssh.fd;
        return 0;
    }
    const char *host = current.host.kind == NV_HOST_HTTP ? current.host.host : PLUGIN_HOST;
    const char *port = current.host.kind == NV_HOST_HTTP ? current.host.http_port : PLUGIN_PORT;
    current.fd = http_connect(&(struct http_endpoint){ .host = host, .port = port }, deadline, err);
    return current.fd < 0 ? -1 : 0;
}

/*
 * Switch local mode to discovery in this process, after connecting to
 * the local plugin failed with plugin_err. Fail with both causes.
 */
static int start_discovery(const nvd_error *plugin_err, nvd_error **err)
{
    cleanup_error nvd_error *discovery_err = NULL;

    current.discovered = local_plugin_discover(&discovery_err);
    if (current.discovered)
        return 0;
    return nvd_error_set(err, NVD_ERR_NOT_FOUND,
                         "no nvidia-docker-plugin at %s (%s), and discovery in this process "
                         "failed: %s: start nvidia-docker-plugin, or set NV_DRIVER_ROOT to the "
                         "driver's root (now %s)",
                         PLUGIN_ADDRESS,
                         plugin_err->errnum ? strerror(plugin_err->errnum) : plugin_err->msg,
                         discovery_err->msg, local_plugin_driver_root());
}

/* Return where the target plugin is, for messages. */
static const char *target_address(void)
{
    return current.address ? current.address : PLUGIN_ADDRESS;
}

/*
 * Turn err, the reason the reply to GET path is unusable, into the message
 * about a bad reply: where the plugin is and what to check.
 */
static int bad_reply(const char *path, nvd_error **err)
{
    const char *advice = current.host.kind == NV_HOST_LOCAL
        ? "check that the server on that port is nvidia-docker-plugin, of the same version "
          "as nvidia-docker, and read its log"
        : "check that NV_HOST names the REST address (-l) of nvidia-docker-plugin, of the "
          "same version as nvidia-docker, and read its log";

    cleanup_free char *shown_path = nvd_quote_str(path);
    nvd_error *bad = NULL;

    nvd_error_set(&bad, NVD_ERR_INVALID, "nvidia-docker-plugin at %s sent an invalid reply to "
                  "GET %s: %s; %s", target_address(), shown_path, (*err)->msg, advice);
    nvd_error_free(*err);
    *err = bad;
    return -1;
}

int plugin_client_bad_reply(const char *path, nvd_error **err)
{
    return bad_reply(path, err);
}

/*
 * Fail with the reason a request to the target failed: cause, or ssh's
 * own message when ssh_text has one. A reply that is not HTTP is a bad
 * reply rather than an unreachable plugin.
 */
static int unreachable(const char *path, const nvd_error *cause, const char *ssh_text,
                       nvd_error **err)
{
    bool timeout = cause->kind == NVD_ERR_SYSTEM && cause->errnum == ETIMEDOUT;
    const char *address = target_address();

    if (cause->kind == NVD_ERR_INVALID && !(ssh_text && *ssh_text)) {
        nvd_error_set(err, cause->kind, "%s", cause->msg);
        return bad_reply(path, err);
    }

    if (current.host.kind == NV_HOST_SSH) {
        cleanup_free char *check = ssh_tunnel_check_command(&current.host);
        cleanup_free char *reason = NULL;
        if (ssh_text && strncmp(ssh_text, "ssh: ", 5) == 0)
            reason = nvd_xstrdup(ssh_text);     /* ssh names itself already */
        else if (ssh_text && *ssh_text)
            reason = nvd_xasprintf("ssh: %s", ssh_text);
        else
            reason = nvd_xstrdup(timeout ? "timed out" : cause->msg);
        return nvd_error_set(err, NVD_ERR_NOT_FOUND,
                             "GET %s from nvidia-docker-plugin at %s failed: %s. Check that "
                             "\"%s\" works and that the plugin listens on port %s there",
                             path, address, reason, check, current.host.http_port);
    }
    if (timeout)
        return nvd_error_set(err, NVD_ERR_NOT_FOUND,
                             "GET %s from nvidia-docker-plugin at %s timed out after %d s: %s",
                             path, address, HTTP_TIMEOUT_MS / 1000,
                             current.host.kind == NV_HOST_HTTP
                             ? "check that NV_HOST names the plugin's REST address (its -l option)"
                             : "restart nvidia-docker-plugin");
    if (current.host.kind == NV_HOST_HTTP)
        return nvd_error_set(err, NVD_ERR_NOT_FOUND,
                             "nvidia-docker-plugin at %s could not be reached: %s: start it "
                             "there with -l on an address this host can reach, or fix NV_HOST",
                             address, cause->msg);
    return nvd_error_set(err, NVD_ERR_NOT_FOUND,
                         "the nvidia-docker plugin at %s could not be reached (%s): start "
                         "nvidia-docker-plugin, for example with \"systemctl start nvidia-docker\"",
                         PLUGIN_ADDRESS, cause->msg);
}

/* Send GET path on the open connection, or on a new one. */
static int roundtrip(const char *path, int64_t deadline, struct http_response *resp,
                     nvd_error **err)
{
    cleanup_free char *host_header = current.host.kind == NV_HOST_HTTP
        ? nvd_xstrdup(current.address) : nvd_xstrdup(PLUGIN_ADDRESS);
    struct http_request req = {
        .method = "GET", .target = path, .host_header = host_header, .keep_alive = true,
    };

    /* A connection kept from an earlier request may have been closed by
     * the server since: then try once more on a new one. */
    for (int attempt = 0;; attempt++) {
        bool reused = current.fd >= 0;
        cleanup_error nvd_error *cause = NULL;

        if (!reused && connect_target(deadline, &cause) < 0) {
            if (current.host.kind == NV_HOST_LOCAL && is_no_listener(cause)) {
                if (start_discovery(cause, err) < 0)
                    return -1;
                return local_plugin_get(current.discovered, path, resp, err);
            }
            cleanup_free char *ssh_text = disconnect(true);
            return cause->kind == NVD_ERR_SYSTEM || ssh_text
                ? unreachable(path, cause, ssh_text, err) : (*err = steal_pointer(&cause), -1);
        }
        if (http_roundtrip(current.fd, &req, deadline, resp, &cause) == 0) {
            const char *connection = http_header_get(resp, "Connection");
            if (connection && strcasecmp(connection, "close") == 0)
                free(disconnect(false));
            return 0;
        }
        cleanup_free char *ssh_text = disconnect(true);
        if (reused && attempt == 0)
            continue;
        return unreachable(path, cause, ssh_text, err);
    }
}

/* GET path from the plugin and return the body of a 200 reply in resp.
 * Any other status fails with the plugin's message. */
static int plugin_get(const char *path, struct http_response *resp, nvd_error **err)
{
    if (!current.chosen && plugin_client_init(NULL, NULL, err) < 0)
        return -1;

    int rc;
    if (current.discovered) {
        rc = local_plugin_get(current.discovered, path, resp, err);
    } else {
        bool slow = current.host.kind == NV_HOST_SSH && ssh_tunnel_interactive();
        int64_t deadline = http_now_ms() + (slow ? PLUGIN_SSH_PROMPT_TIMEOUT_MS : HTTP_TIMEOUT_MS);
        rc = roundtrip(path, deadline, resp, err);
    }
    if (rc < 0)
        return -1;
    if (resp->status == 200)
        return 0;

    size_t len = resp->body_len;
    while (len > 0 && strchr(" \t\r\n", resp->body[len - 1]))
        len--;
    /* Line breaks in a message read as blanks. */
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)resp->body[i] < ' ')
            resp->body[i] = ' ';
    }
    cleanup_free char *message = len > 0 ? nvd_quote_bytes(resp->body, len)
                                         : nvd_quote_str(resp->reason);
    /* The local plugin's 400 is a bad NV_GPU, reported with 1.0's message. */
    if (resp->status == 400 && len > 0 && current.host.kind == NV_HOST_LOCAL)
        nvd_error_set(err, NVD_ERR_INVALID, "%s", message);
    else
        nvd_error_set(err, NVD_ERR_INVALID, "nvidia-docker-plugin at %s answered %d: %s%s",
                      target_address(), resp->status, message,
                      resp->status == 400 ? "" : "; read the plugin's log there");
    http_response_clear(resp);
    return -1;
}

int plugin_get_docker_cli(const char *dev_query, struct plugin_docker_cli *out,
                          nvd_error **err)
{
    cleanup_free char *path = nvd_xasprintf("/docker/cli/json?vol=%s%s%s", NVD_VOLUME_BASE,
                                              dev_query ? "&dev=" : "",
                                              dev_query ? dev_query : "");
    struct http_response resp;

    if (plugin_get(path, &resp, err) < 0)
        return -1;
    int rc = plugin_parse_docker_cli(resp.body, resp.body_len, out, err);
    http_response_clear(&resp);
    if (rc < 0)
        return bad_reply(path, err);
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
        nvd_error_set(err, NVD_ERR_INVALID, "%s",
                      root ? "expected an object with Version and Devices" : jerr.text);
        return bad_reply("/gpu/info/json", err);
    }
    *info = root;
    return 0;
}
