/*
 * main.c: nvidia-docker, the wrapper that runs docker with GPUs. For run
 * and create it inspects the image and decides from the image, the
 * command line and NV_GPU whether the container gets GPUs. It then
 * requests the devices and the driver volume from nvidia-docker-plugin
 * (local, remote, or discovery in this process when no local plugin runs), checks the image's requirements, makes sure the
 * volume exists, and execs docker with them added after the user's
 * options and without any --gpus option.
 * "cdi" runs nvidia-docker-cdi. Every other command execs docker at once,
 * unchanged.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdi_exec.h"
#include "container_env.h"
#include "docker_cmd.h"
#include "engine.h"
#include "gpus_flag.h"
#include "image.h"
#include "inject.h"
#include "nvd.h"
#include "plugin_client.h"
#include "quote.h"
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
    /* docker rejects a --pull value other than these with its own message. */
    if (scan->pull && strcmp(scan->pull, "always") != 0 && strcmp(scan->pull, "missing") != 0 &&
        strcmp(scan->pull, "never") != 0)
        return false;
    /* docker rejects an empty or dash-led image name with its own message. */
    const char *image = args[scan->image_index];
    return image[0] != '\0' && image[0] != '-';
}

/*
 * Warn when an option unknown to the scanner hides the image of a run or
 * create: docker gets the command line unchanged, so a newer docker's
 * option must not drop the GPUs silently.
 */
static void warn_unknown_option(const struct scan_result *scan, char *const *args)
{
    if ((scan->command != SCAN_RUN && scan->command != SCAN_CREATE) ||
        scan->unknown_index < 0 || scan->help)
        return;
    const char *option = args[scan->unknown_index];
    cleanup_free char *name = nvd_quote_bytes(option, strcspn(option, "="));
    nvd_log("Warning: unknown docker option %s: passing the command line to docker "
            "unchanged, without GPUs", name);
}

/*
 * Set *config to the .Config of image, pulled first with the command line's
 * --pull, --platform and -q (by default only when the engine lacks it).
 * Return 1 with the error in *err when the image is still missing (--pull
 * never, or a failed pull), so that the caller can leave it to docker.
 */
static int inspect_image(struct engine *engine, const char *image,
                         const struct scan_result *scan, json_t **config, nvd_error **err)
{
    const struct engine_pull how = { .platform = scan->platform, .quiet = scan->quiet };
    const char *pull = scan->pull ? scan->pull : "missing";
    cleanup_error nvd_error *missing = NULL;

    if (strcmp(pull, "always") == 0) {
        if (engine_pull_image(engine, image, &how, err) < 0)
            return (*err)->kind == NVD_ERR_NOT_FOUND ? 1 : -1;
        return engine_inspect_image(engine, image, config, err);
    }
    if (engine_inspect_image(engine, image, config, &missing) == 0)
        return 0;
    if (missing->kind != NVD_ERR_NOT_FOUND || strcmp(pull, "never") == 0) {
        *err = steal_pointer(&missing);
        return (*err)->kind == NVD_ERR_NOT_FOUND ? 1 : -1;
    }
    if (engine_pull_image(engine, image, &how, err) < 0)
        return (*err)->kind == NVD_ERR_NOT_FOUND ? 1 : -1;
    return engine_inspect_image(engine, image, config, err);
}

/*
 * Return true when the user requested GPUs for any image: NV_GPU, or
 * NVIDIA_VISIBLE_DEVICES among the command line's -e and --env-file. docker
 * running such a command line unchanged could start a container without
 * them. --gpus does not count, because an engine without NVIDIA's hook
 * rejects it, so docker never runs it without GPUs.
 */
static bool explicit_gpu_request(char *const *args, int nargs, int start)
{
    const char *nv_gpu = getenv("NV_GPU");
    struct container_env env = { 0 };
    cleanup_error nvd_error *env_err = NULL;
    json_t *none = json_object();
    bool requested = nv_gpu && *nv_gpu;

    if (!requested) {
        /* An --env-file that cannot be read counts as a request too. */
        requested = container_env_build(none, args, nargs, start, &env, &env_err) < 0 ||
                    container_env_get(&env, "NVIDIA_VISIBLE_DEVICES") != NULL;
        container_env_clear(&env);
    }
    json_decref(none);
    return requested;
}

/* The plugin's /gpu/info/json, fetched by gpu_info() on first use. */
struct gpu_info_cache {
    json_t *info;
};

static json_t *gpu_info(struct gpu_info_cache *cache, nvd_error **err)
{
    if (!cache->info && plugin_get_gpu_info(&cache->info, err) < 0)
        return NULL;
    return cache->info;
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
 * Return true when Docker can find a volume plugin named driver on this
 * host: a socket in /run/docker/plugins, or a spec file where Docker looks
 * for one. A managed (v2) plugin has none of these, so false only means
 * "not found here".
 */
static bool volume_plugin_visible(const char *driver)
{
    static const struct { const char *dir, *suffix; } places[] = {
        { "/run/docker/plugins/", ".sock" },
        { "/etc/docker/plugins/", ".spec" },
        { "/etc/docker/plugins/", ".json" },
        { "/usr/lib/docker/plugins/", ".spec" },
        { "/usr/lib/docker/plugins/", ".json" },
    };

    if (strchr(driver, '/'))
        return true;    /* not a plain name: Docker decides */
    for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
        cleanup_free char *path = nvd_xasprintf("%s%s%s", places[i].dir, driver, places[i].suffix);
        if (access(path, F_OK) == 0)
            return true;
    }
    return false;
}

/*
 * Ask the plugin what a container with req needs, check the image's
 * requirements against the chosen GPUs, make sure the driver volume exists,
 * and set *options to the options to insert.
 */
static int gpu_options(struct engine *engine, const struct gpu_request *req,
                       const char *gpus_value, struct gpu_info_cache *cache,
                       char ***options, size_t *count, nvd_error **err)
{
    struct plugin_docker_cli cli;
    cleanup_free char *dev_query = req->selection ? plugin_device_query(req->selection) : NULL;

    if ((req->cuda_version || req->requirement_count > 0) && !gpu_info(cache, err))
        return -1;
    if (plugin_get_docker_cli(dev_query, &cli, err) < 0) {
        /* The list of valid devices is worth a request only on failure. */
        cleanup_error nvd_error *info_err = NULL;
        json_t *info = gpu_info(cache, &info_err);
        if (info)
            image_explain_selection_error(req, gpus_value, info, err);
        return -1;
    }
    if (image_check_requirements(req, cache->info, cli.devices, cli.device_count, err) < 0) {
        plugin_docker_cli_clear(&cli);
        return -1;
    }

    size_t volume_count = req->driver_volume ? cli.volume_count : 0;
    const char *driver = cli.volume_driver ? cli.volume_driver : NVD_VOLUME_DRIVER;
    for (size_t i = 0; i < volume_count; i++) {
        const char *entry = cli.volumes[i];
        cleanup_free char *name = nvd_xasprintf("%.*s", (int)plugin_volume_name_len(entry), entry);
        /* Without the plugin, dockerd retries the missing driver for
         * seconds before it fails the volume, so fail at once here. */
        if (plugin_client_in_process() && !engine->remote && !volume_plugin_visible(driver)) {
            nvd_error_set(err, NVD_ERR_NOT_FOUND,
                          "no nvidia-docker-plugin answers at %s and none is registered with "
                          "Docker (no /run/docker/plugins/%s.sock), so the devices come from "
                          "discovery in this process, but Docker needs the plugin as the "
                          "volume driver of %s: start nvidia-docker-plugin",
                          PLUGIN_HOST ":" PLUGIN_PORT, driver, name);
            plugin_docker_cli_clear(&cli);
            return -1;
        }
        if (engine_create_volume(engine, name, driver, err) < 0) {
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

/* Return the index of the first run/create option: after "run", or after
 * "container run". */
static int run_options_start(char *const *args, const struct scan_result *scan)
{
    int k = scan->command_index;

    return strcmp(args[k], "container") == 0 ? k + 2 : k + 1;
}

/* Set *selection to the GPUs that the --gpus value requests, in NV_GPU's
 * grammar. A count needs the number of GPUs, from the plugin. */
static int translate_gpus_flag(const char *value, struct gpu_info_cache *cache,
                               char **selection, nvd_error **err)
{
    struct gpus_flag flag;
    size_t gpu_count = 0;

    if (gpus_flag_parse(value, &flag, err) < 0)
        return -1;
    if (flag.kind == GPUS_COUNT && flag.count > 0) {
        json_t *info = gpu_info(cache, err);
        if (!info) {
            gpus_flag_clear(&flag);
            return -1;
        }
        gpu_count = json_array_size(json_object_get(info, "Devices"));
    }
    *selection = gpus_flag_selection(&flag, value, gpu_count, err);
    gpus_flag_clear(&flag);
    return *selection ? 0 : -1;
}

/*
 * Build the argv for a run or create: set *argv_out to the new command
 * line, or leave it NULL when docker can run the user's command line as it
 * is. *options_out receives the inserted strings that the new argv points to.
 */
static int build_gpu_argv(const struct docker_cmd *docker, char *const *args, int nargs,
                          const struct scan_result *scan, char ***argv_out,
                          char ***options_out, nvd_error **err)
{
    const char *image = args[scan->image_index];
    int start = run_options_start(args, scan);
    struct engine engine;
    json_t *config = NULL;
    struct container_env env = { 0 };
    struct gpu_request req = { 0 };
    struct gpu_info_cache cache = { 0 };
    cleanup_free bool *drop = nvd_xcalloc((size_t)nargs + 1, sizeof(*drop));
    cleanup_free char *nv_gpu_query = plugin_device_query(getenv("NV_GPU"));
    cleanup_free char *gpus_selection = NULL;
    const char *gpus_value = NULL;
    size_t option_count = 0;
    int rc = -1;

    engine_init(&engine, docker, args, scan);
    if (gpus_flag_find(args, nargs, start, drop, &gpus_value, err) < 0)
        goto out;
    int inspected = inspect_image(&engine, image, scan, &config, err);
    if (inspected < 0)
        goto out;
    if (inspected > 0) {
        /* docker reports a missing image with its own message and status,
         * unless running the line unchanged could start a container
         * without the GPUs the user requested. With --pull never it cannot. */
        bool never = scan->pull && strcmp(scan->pull, "never") == 0;
        if (!never && explicit_gpu_request(args, nargs, start))
            goto out;
        nvd_error_free(*err);
        *err = NULL;
        rc = 0;
        goto out;
    }
    if (container_env_build(config, args, nargs, start, &env, err) < 0)
        goto out;

    /* A --gpus count needs the number of GPUs from the plugin, so the
     * plugin is chosen before that request. */
    bool plugin_chosen = false;
    if (gpus_value) {
        if (choose_plugin(&engine, err) < 0)
            goto out;
        plugin_chosen = true;
        if (translate_gpus_flag(gpus_value, &cache, &gpus_selection, err) < 0)
            goto out;
    }
    struct gpu_choice choice = {
        .nv_gpu = nv_gpu_query ? getenv("NV_GPU") : NULL,
        .gpus = gpus_selection,
        .gpus_value = gpus_value,
    };
    if (image_gpu_request(config, &env, &choice, &req, err) < 0)
        goto out;

    if (req.gpus) {
        if (!plugin_chosen && choose_plugin(&engine, err) < 0)
            goto out;
        if (gpu_options(&engine, &req, gpus_value, &cache, options_out, &option_count, err) < 0)
            goto out;
    }

    /* A command line with --gpus is rebuilt even for no GPU ("--gpus 0"),
     * since docker must never see the option. */
    if (req.gpus || gpus_value)
        *argv_out = inject_argv_without(docker->words, docker->count, args, (size_t)nargs,
                                        (size_t)scan->insert_index, *options_out, option_count,
                                        drop);
    rc = 0;
out:
    plugin_client_close();
    json_decref(cache.info);
    gpu_request_clear(&req);
    container_env_clear(&env);
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
    /* nvidia-docker's own command; docker has none of that name. */
    if (nargs > 0 && strcmp(args[0], "cdi") == 0) {
        cdi_exec(argc > 0 ? argv[0] : "nvidia-docker", args + 1, (size_t)nargs - 1, &err);
        return fail(err);
    }
    cli_scan(args, nargs, &scan);
    if (docker_cmd_init(&docker, getenv("NV_DOCKER"), getenv("PATH"), &err) < 0)
        return fail(err);

    if (scan.command == SCAN_VERSION)
        printf("NVIDIA Docker: %s\n\n", NVD_VERSION);
    warn_unknown_option(&scan, args);
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
