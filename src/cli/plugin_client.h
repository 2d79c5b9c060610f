/*
 * plugin_client.h: the requests nvidia-docker sends to the REST API of
 * nvidia-docker-plugin: the devices and driver volume for a container, and
 * the driver's and GPUs' properties.
 */
#ifndef NVD_CLI_PLUGIN_CLIENT_H
#define NVD_CLI_PLUGIN_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "nvd.h"

/* The plugin's REST API in local mode, as in 1.0. */
#define PLUGIN_HOST "localhost"
#define PLUGIN_PORT "3476"

/* The reply of /docker/cli/json. */
struct plugin_docker_cli {
    char *volume_driver;   /* "nvidia-docker" */
    size_t volume_count;
    char **volumes;        /* "nvidia_driver_375.66:/usr/local/nvidia:ro" */
    size_t device_count;
    char **devices;        /* "/dev/nvidia0" or "<host path>:/dev/nvidia0" */
};

/*
 * Fail unless the plugin is the local one: NV_HOST (nv_host, may be NULL)
 * selects a remote plugin, which nvidia-docker does not support yet.
 */
int plugin_check_local(const char *nv_host, nvd_error **err);

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
 * GET /docker/cli/json?vol=nvidia_driver[&dev=<dev_query>] from the local
 * plugin. dev_query comes from plugin_device_query(); NULL selects all
 * GPUs. A 400 reply fails with the plugin's message ("invalid device: 9").
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
