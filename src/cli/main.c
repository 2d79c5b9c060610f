/*
 * main.c: nvidia-docker, the wrapper that runs docker with GPUs. For run
 * and create of a GPU image it inspects the image, requests the devices
 * and the driver volume from nvidia-docker-plugin (local, remote, or
 * discovery in this process when no local plugin runs), makes sure the
 * volume exists and execs docker with them added after the user's options.
 * Every other command execs docker at once, unchanged.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_cmd.h"
#include "engine.h"
#include "image.h"
#include "inject.h"
#include "nvd.h"
#include "plugin_client.h"
#include "scan.h"
#include "util.h"

/* Log err as nvidia-docker's one error line and return the exit status 1. */
static int fail(const nvd_error *err)
{
    nvd_log_error("%s", err ? err->msg : "unknown error");
    return 1;
}

/* Return true when the command line is a run or create whose image must be
 * inspected. Everything else goes to docker unchanged. */
static bool needs_inspection(const struct scan_result *scan, char *const *args)
{
    if (scan->command != SCAN_RUN && scan->command != SCAN_CREATE)
        return false;
    if (scan->image_index < 0 || scan->help)
        return false;
    /* docker rejects two -H itself, so no engine is queried first. */
    if (scan->host_count > 1)
        return false;
    /* docker rejects an empty or dash-led image name with its own message. */
    const char *image = args[scan->image_index];
    return image[0] != '\0' && image[0] != '-';
}

/* Set *config to the .Config of image, pulling the image when the engine
 * does not have it. */
static int inspect_image(struct engine *engine, const char *image, json_t **config,
                         nvd_error **err)
{
    cleanup_error nvd_error *missing = NULL;

    if (engine_inspect_image(engine, image, config, &missing) == 0)
        return 0;
    if (missing->kind != NVD_ERR_NOT_FOUND) {
        *err = steal_pointer(&missing);
        return -1;
    }
    if (engine_pull_image(engine, image, err) < 0)
        return -1;
    return engine_inspect_image(engine, image, config, err);
}

/*
 * Choose the plugin to ask: NV_HOST, else the engine's host when the
 * engine is remote, else the local one. NV_HOST naming another host while
 * the engine is on this one gives containers that host's device paths,
 * which is worth a warning (1.0 warned whenever DOCKER_HOST was unset).
 */
static int choose_plugin(struct engine *engine, nvd_error **err)
{
    const char *nv_host = getenv("NV_HOST");

    if (engine->context && engine_resolve_context(engine, err) < 0)
        return -1;
    if (plugin_client_init(nv_host, engine->remote ? engine->address : NULL, err) < 0)
        return -1;
    if (nv_host && *nv_host && !engine->remote) {
        cleanup_free char *address = plugin_client_address();
        if (!plugin_client_is_loopback())
            nvd_log("Warning: NV_HOST names nvidia-docker-plugin at %s, but the Docker engine "
                    "(%s) is on this host, so containers get the device paths of that host",
                    address, engine->address);
    }
    return 0;
}

/*
 * Ask the plugin what a container with req needs, make sure the driver
 * volume exists, and set *options to the options to insert.
 */
static int gpu_options(struct engine *engine, const struct gpu_request *req,
                       const char *dev_query, char ***options, size_t *count,
                       nvd_error **err)
{
    struct plugin_docker_cli cli;

    if (req->cuda_version) {
        cleanup_free char *driver_cuda = NULL;
        if (plugin_get_cuda_version(&driver_cuda, err) < 0 ||
            image_check_cuda(driver_cuda, req->cuda_version, err) < 0)
            return -1;
    }
    if (plugin_get_docker_cli(dev_query, &cli, err) < 0)
        return -1;

    size_t volume_count = req->driver_volume ? cli.volume_count : 0;
    const char *driver = cli.volume_driver ? cli.volume_driver : NVD_VOLUME_DRIVER;
    for (size_t i = 0; i < volume_count; i++) {
        const char *entry = cli.volumes[i];
        cleanup_free char *name = nvd_xasprintf("%.*s", (int)plugin_volume_name_len(entry), entry);
        if (engine_create_volume(engine, name, driver, err) < 0) {
            /* NOTE: no end-to-end test reaches this: the harness's plugin stays
             * registered with dockerd while its REST port is out of reach. */
            if (plugin_client_in_process())
                nvd_error_wrap(err, "no nvidia-docker-plugin answers at %s, so the devices "
                               "come from discovery in this process, but Docker needs the "
                               "plugin as the volume driver of %s", PLUGIN_HOST ":" PLUGIN_PORT,
                               name);
            plugin_docker_cli_clear(&cli);
            return -1;
        }
    }

    *options = inject_gpu_options(cli.devices, cli.device_count, cli.volumes, volume_count, count);
    plugin_docker_cli_clear(&cli);
    return 0;
}

/*
 * Build the argv for a run or create: set *argv_out to the new command
 * line, or leave it NULL when the image gets no GPU. *options_out receives
 * the inserted strings that the new argv points to.
 */
static int build_gpu_argv(const struct docker_cmd *docker, char *const *args, int nargs,
                          const struct scan_result *scan, char ***argv_out,
                          char ***options_out, nvd_error **err)
{
    const char *image = args[scan->image_index];
    struct engine engine;
    json_t *config = NULL;
    struct gpu_request req;
    cleanup_free char *dev_query = plugin_device_query(getenv("NV_GPU"));
    size_t option_count = 0;
    int rc = -1;

    engine_init(&engine, docker, args, scan);
    if (inspect_image(&engine, image, &config, err) < 0)
        goto out;

    image_gpu_request(config, dev_query != NULL, &req);
    if (!req.gpus) {
        rc = 0;
        goto out;
    }
    if (choose_plugin(&engine, err) < 0)
        goto out;
    if (gpu_options(&engine, &req, dev_query, options_out, &option_count, err) < 0)
        goto out;

    *argv_out = inject_argv(docker->words, docker->count, args, (size_t)nargs,
                            (size_t)scan->insert_index, *options_out, option_count);
    rc = 0;
out:
    plugin_client_close();
    json_decref(config);
    engine_clear(&engine);
    return rc;
}

int main(int argc, char **argv)
{
    char *const *args = argc > 0 ? argv + 1 : argv;
    int nargs = argc > 0 ? argc - 1 : 0;
    struct scan_result scan;
    struct docker_cmd docker;
    cleanup_error nvd_error *err = NULL;

    nvd_log_init(argc > 0 ? argv[0] : "nvidia-docker");
    cli_scan(args, nargs, &scan);
    if (docker_cmd_init(&docker, getenv("NV_DOCKER"), getenv("PATH"), &err) < 0)
        return fail(err);

    if (scan.command == SCAN_VERSION)
        printf("NVIDIA Docker: %s\n\n", NVD_VERSION);
    if (!needs_inspection(&scan, args)) {
        docker_exec(&docker, args, (size_t)nargs, &err);
        docker_cmd_clear(&docker);
        return fail(err);
    }

    char **new_argv = NULL;
    char **options = NULL;
    if (build_gpu_argv(&docker, args, nargs, &scan, &new_argv, &options, &err) < 0) {
        docker_cmd_clear(&docker);
        return fail(err);
    }
    if (new_argv)
        docker_exec_argv(&docker, new_argv, &err);
    else
        docker_exec(&docker, args, (size_t)nargs, &err);

    free(new_argv);
    inject_free(options);
    docker_cmd_clear(&docker);
    return fail(err);
}
