/*
 * main.c: the nvd-sim command line.
 *
 *   nvd-sim init DIR --profile NAME|FILE [--driver-version VERSION]
 *
 * lays out a simulated NVIDIA driver root in DIR (see root.h). NAME is a
 * profile shipped with nvd-sim (sim/profiles/NAME.json), and an argument with
 * a "/" or ending in ".json" is a file. Exit status: 0, 1 on failure, 2 for a
 * bad command line.
 */
#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "driver_files.h"
#include "profile.h"
#include "root.h"
#include "util.h"

#ifndef NVD_SIM_DATA_DIR
#error "NVD_SIM_DATA_DIR must name the installed data directory (see bin/meson.build)"
#endif

static const char usage_text[] =
    "Usage: nvd-sim init DIR --profile NAME|FILE [--driver-version VERSION]\n"
    "       nvd-sim --help | --version\n"
    "\n"
    "Lay out a simulated NVIDIA driver root in DIR (created if missing): driver\n"
    "libraries with test doubles of libnvidia-ml.so.1 and libcuda.so.1, an\n"
    "nvidia-smi double, etc/ld.so.cache made by ldconfig, and device nodes.\n"
    "Running it again over DIR replaces the previous driver. Needs root.\n"
    "\n"
    "  --profile NAME|FILE        GPUs and values to simulate: a shipped profile\n"
    "                             (a100x8, k80x2, none, t4x1) or a JSON file\n"
    "  --driver-version VERSION   driver version to lay out instead of the\n"
    "                             profile's, e.g. 550.54.15\n";

/* Print a command line error and the usage line to stderr, and return the exit status 2. */
static int usage_error(const char *reason)
{
    fprintf(stderr,
            "nvd-sim: %s\n"
            "Usage: nvd-sim init DIR --profile NAME|FILE [--driver-version VERSION]\n"
            "Run 'nvd-sim --help' for the options.\n",
            reason);
    return 2;
}

/* Return a new path of the directory with the built templates. */
static char *find_data_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    /* In a build tree nvd-sim is build/bin/nvd-sim and the data is in build/sim. */
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            cleanup_free char *dir = nvd_xasprintf("%s/../sim", exe);
            cleanup_free char *probe =
                nvd_xasprintf("%s/%s", dir, sim_template_file(SIM_TEMPLATE_NVML, 64));
            char *resolved = access(probe, F_OK) == 0 ? realpath(dir, NULL) : NULL;
            if (resolved)
                return resolved;
        }
    }
    return nvd_xstrdup(NVD_SIM_DATA_DIR);
}

/* Return whether the --profile argument names a file rather than a shipped profile. */
static bool is_profile_file(const char *argument)
{
    size_t len = strlen(argument);

    return strchr(argument, '/') || (len > 5 && strcmp(argument + len - 5, ".json") == 0);
}

/* Return the path of the profile that argument names, or fail if no shipped profile has the name. */
static char *resolve_profile(const char *argument, const char *data_dir, nvd_error **err)
{
    if (is_profile_file(argument))
        return nvd_xstrdup(argument);

    char *path = nvd_xasprintf("%s/profiles/%s.json", data_dir, argument);
    if (access(path, F_OK) == 0)
        return path;
    free(path);

    /* List the shipped profiles, sorted, in the message. */
    cleanup_free char *dir_path = nvd_xasprintf("%s/profiles", data_dir);
    struct dirent **entries = NULL;
    int count = scandir(dir_path, &entries, NULL, alphasort);
    struct nvd_buf names = { 0 };
    for (int i = 0; i < count; i++) {
        const char *name = entries[i]->d_name;
        size_t len = strlen(name);
        if (len > 5 && strcmp(name + len - 5, ".json") == 0)
            nvd_buf_printf(&names, "%s%.*s", names.len ? ", " : "", (int)(len - 5), name);
        free(entries[i]);
    }
    free(entries);
    nvd_error_set(err, NVD_ERR_NOT_FOUND,
                  "unknown profile '%s': use one of %s (%s) or a path to a .json file",
                  argument, dir_path, names.data ? names.data : "none found");
    nvd_buf_free(&names);
    return NULL;
}

/* Run `nvd-sim init` with its parsed arguments. */
static int run_init(const char *root, const char *profile_argument, const char *driver_version)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_free char *data_dir = find_data_dir();
    cleanup_free char *profile_path = NULL;
    cleanup_free struct sim_blob *blob = nvd_xmalloc(sizeof(*blob));

    if (driver_version && sim_validate_driver_version(driver_version, &err) != 0)
        goto fail;
    if (!(profile_path = resolve_profile(profile_argument, data_dir, &err)))
        goto fail;
    if (sim_profile_load(profile_path, blob, &err) != 0)
        goto fail;
    if (driver_version)
        snprintf(blob->driver_version, sizeof(blob->driver_version), "%s", driver_version);

    if (sim_root_init(root, data_dir, blob, &err) != 0) {
        nvd_error_wrap(&err, "cannot lay out the driver root %s", root);
        goto fail;
    }
    printf("nvd-sim: %s: driver %s, CUDA %u.%u, %u GPU(s) from profile %s\n", root,
           blob->driver_version, (unsigned)blob->cuda_version / 1000,
           (unsigned)blob->cuda_version % 1000 / 10, (unsigned)blob->gpu_count, profile_path);
    return 0;

fail:
    fprintf(stderr, "nvd-sim: %s\n", err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    enum { OPT_PROFILE = 256, OPT_DRIVER_VERSION, OPT_VERSION };
    static const struct option options[] = {
        { "profile", required_argument, NULL, OPT_PROFILE },
        { "driver-version", required_argument, NULL, OPT_DRIVER_VERSION },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    const char *profile = NULL;
    const char *driver_version = NULL;
    int option;

    opterr = 0;
    while ((option = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (option) {
        case OPT_PROFILE:
            profile = optarg;
            break;
        case OPT_DRIVER_VERSION:
            driver_version = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case OPT_VERSION:
            printf("nvd-sim %s\n", NVD_VERSION);
            return 0;
        case ':': {
            char reason[128];
            snprintf(reason, sizeof(reason), "option %.64s needs a value", argv[optind - 1]);
            return usage_error(reason);
        }
        default: {
            char reason[128];
            snprintf(reason, sizeof(reason), "unknown option %.64s", argv[optind - 1]);
            return usage_error(reason);
        }
        }
    }

    if (optind >= argc)
        return usage_error("missing command: use init");
    if (strcmp(argv[optind], "init") != 0) {
        char reason[128];
        snprintf(reason, sizeof(reason), "unknown command '%.64s': use init", argv[optind]);
        return usage_error(reason);
    }
    if (argc - optind != 2)
        return usage_error("init takes exactly one directory");
    if (!profile)
        return usage_error("init needs --profile NAME|FILE");
    return run_init(argv[optind + 1], profile, driver_version);
}
