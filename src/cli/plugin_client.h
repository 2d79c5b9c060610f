/*
 * plugin_client.h: the requests nvidia-docker sends to the REST API of
 * nvidia-docker-plugin: the devices and driver volume for a container, and
 * the driver's and GPUs' properties. plugin_client_init() chooses once
 * where they go: the local plugin (with discovery in this process when
 * none listens), or a remote plugin over HTTP or through ssh.
 */
#ifndef NVD_CLI_PLUGIN_CLIENT_H
#define NVD_CLI_PLUGIN_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "nvd.h"

/* The plugin's REST API in local mode, as in 1.0. */
#define PLUGIN_HOST "localhost"
#define PLUGIN_PORT "3476"

/* How long a request through ssh may wait while ssh can ask the user for
 * a password on the terminal; otherwise requests have HTTP_TIMEOUT_MS. */
#define PLUGIN_SSH_PROMPT_TIMEOUT_MS 120000

/* The reply of /docker/cli/json. */
struct plugin_docker_cli {
    char *volume_driver;   /* "nvidia-docker" */
    size_t volume_count;
    char **volumes;        /* "nvidia_driver_375.66:/usr/local/nvidia:ro" */
    size_t device_count;
    char **devices;        /* "/dev/nvidia0" or "<host path>:/dev/nvidia0" */
};

/*
 * Choose the plugin that the requests below go to: NV_HOST (nv_host, may
 * be NULL or empty), else the host of a remote engine (remote_docker_host,
 * NULL when the engine is on this host), else local mode. Bad input fails
 * with a message naming the value. Without this call, requests go to the
 * local plugin. plugin_client_close() ends what the choice started.
 */
int plugin_client_init(const char *nv_host, const char *remote_docker_host, nvd_error **err);

/* Close the connection to the plugin and end ssh, if any; forget the
 * choice of plugin_client_init(). */
void plugin_client_close(void);

/* Return true after discovery in this process replaced the local plugin,
 * which did not listen. */
bool plugin_client_in_process(void);

/* Return true when the chosen plugin is on this host (local mode, or a
 * loopback NV_HOST). */
bool plugin_client_is_loopback(void);

/* Turn err, the reason the plugin's reply to GET path cannot be used, into
 * the message that says where the plugin is and what to check; return -1. */
int plugin_client_bad_reply(const char *path, nvd_error **err);

/* Return a new string naming where the requests go, for messages:
 * "localhost:3476", "10.0.0.1:3476", "ssh://h (localhost:3476 there)". */
char *plugin_client_address(void);

/*
 * Turn an NV_GPU value into the dev= query value: pieces split on spaces
 * and commas, empty pieces dropped, each URL-escaped, joined by "+".
 * Returns a new string, or NULL when there is no piece (all GPUs).
 */
char *plugin_device_query(const char *nv_gpu);

/*
 * Parse and check a /docker/cli/json body into out. Devices must be
 * absolute paths, optionally after "<host path>:". Volumes must read
 * "<name>:<absolute path>[:<mode>]". Release with plugin_docker_cli_clear().
 */
int plugin_parse_docker_cli(const char *body, size_t len,
                            struct plugin_docker_cli *out, nvd_error **err);

/*
 * GET /docker/cli/json?vol=nvidia_driver[&dev=<dev_query>] from the
 * plugin. dev_query comes from plugin_device_query(); NULL selects all
 * GPUs. A 400 reply fails with the plugin's message ("invalid device: 9"),
 * after "nvidia-docker-plugin at <host> answered 400: " for a remote one.
 */
int plugin_get_docker_cli(const char *dev_query, struct plugin_docker_cli *out,
                          nvd_error **err);

void plugin_docker_cli_clear(struct plugin_docker_cli *cli);

/*
 * Set *info to the plugin's /gpu/info/json reply (a new reference): an
 * object with a Version object (Driver, CUDA) and a Devices array (UUID,
 * Path, Model, Arch, Brand, ... of each GPU, in index order).
 */
int plugin_get_gpu_info(json_t **info, nvd_error **err);

/* Return the length of the volume name at the start of a Volumes entry,
 * the part before the first ':'. */
size_t plugin_volume_name_len(const char *entry);

#endif /* NVD_CLI_PLUGIN_CLIENT_H */
