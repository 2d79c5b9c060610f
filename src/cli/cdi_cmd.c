/*
 * cdi_cmd.c: nvidia-docker-cdi, which runs "nvidia-docker cdi generate":
 * it discovers the driver and GPUs under a driver root, builds the driver
 * volume when it is missing, and prints the CDI spec that podman,
 * containerd, CRI-O and Docker 25+ read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nvd.h"
#include "util.h"

/* The plugin's default -d, so the CLI and the plugin share one volume. */
#define DEFAULT_VOLUMES_DIR "/var/lib/nvidia-docker/volumes"

/* Exit status of a command line that cannot be parsed. */
#define EXIT_USAGE 2

static const char usage_text[] =
    "Usage: nvidia-docker cdi generate [OPTIONS]\n"
    "\n"
    "Print the Container Device Interface (CDI) spec of the GPUs under the driver\n"
    "root as JSON: kind nvidia.com/gpu, one device per GPU index and UUID, per MIG\n"
    "device (<gpu>:<mig> and UUID), and \"all\". Its common edits bind-mount the\n"
    "driver volume read-only at\n"
    "/usr/local/nvidia; the volume is built in the volumes directory when missing.\n"
    "\n"
    "Options:\n"
    "  --driver-root DIR   root directory of the NVIDIA driver's libraries, binaries\n"
    "                      and etc/ld.so.cache (default: NV_DRIVER_ROOT, or \"/\")\n"
    "  --dev-root DIR      root directory of the device nodes dev/nvidia* (default:\n"
    "                      the driver root)\n"
    "  --volumes-dir DIR   directory of the driver volumes, nvidia-docker-plugin's -d\n"
    "                      (default \"" DEFAULT_VOLUMES_DIR "\")\n"
    "  -h, --help          print this help\n";

struct cdi_options {
    const char *driver_root;
    const char *dev_root;
    const char *volumes_dir;
};

/* One option that takes a directory, and the field it sets. */
static const struct {
    const char *name;
    size_t offset;
} dir_options[] = {
    {"--driver-root", offsetof(struct cdi_options, driver_root)},
    {"--dev-root", offsetof(struct cdi_options, dev_root)},
    {"--volumes-dir", offsetof(struct cdi_options, volumes_dir)},
};

/* Print the message and the usage to stderr, and return EXIT_USAGE. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("nvidia-docker cdi: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/*
 * Parse the options after "generate" ("--opt DIR" or "--opt=DIR"). Returns
 * 0, 1 after printing the help, or EXIT_USAGE after printing why.
 */
static int parse_options(int argc, char **argv, struct cdi_options *opts)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            return 1;
        }

        size_t k = 0;
        size_t name_len = strcspn(arg, "=");
        for (; k < sizeof(dir_options) / sizeof(dir_options[0]); k++)
            if (strlen(dir_options[k].name) == name_len &&
                strncmp(arg, dir_options[k].name, name_len) == 0)
                break;
        if (k == sizeof(dir_options) / sizeof(dir_options[0]))
            return usage_error("unknown option '%s'", arg);

        const char *value = arg[name_len] == '=' ? arg + name_len + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc)
                return usage_error("option %s needs a directory", dir_options[k].name);
            value = argv[++i];
        }
        if (value[0] != '/')
            return usage_error("invalid directory '%s': expected an absolute path", value);
        *(const char **)(void *)((char *)opts + dir_options[k].offset) = value;
    }
    return 0;
}

/* Discover the host, build its volume and return its spec. The spec
 * needs nothing from CUDA, so discovery skips the CUDA query. */
static char *generate(const struct cdi_options *opts, nvd_error **err)
{
    nvd_driver *driver = nvd_driver_open(opts->driver_root, err);

    if (!driver)
        return NULL;
    struct nvd_host *host = nvd_host_discover_nvml(driver, opts->driver_root, opts->dev_root, err);
    nvd_driver_close(driver);
    if (!host)
        return NULL;
    char *spec = NULL;
    if (nvd_mkdir_parents(opts->volumes_dir, 0755, err) == 0)
        spec = nvd_cdi_generate(host, opts->volumes_dir, err);
    nvd_host_free(host);
    return spec;
}

int main(int argc, char **argv)
{
    struct cdi_options opts = {
        .driver_root = "/",     /* or NV_DRIVER_ROOT, as for nvidia-docker run */
        .dev_root = NULL,
        .volumes_dir = DEFAULT_VOLUMES_DIR,
    };
    cleanup_error nvd_error *err = NULL;

    nvd_log_init(argc > 0 ? argv[0] : "nvidia-docker");
    const char *env_root = getenv("NV_DRIVER_ROOT");
    if (env_root && *env_root) {
        if (env_root[0] != '/')
            return usage_error("invalid NV_DRIVER_ROOT '%s': expected an absolute path", env_root);
        opts.driver_root = env_root;
    }
    if (argc < 2)
        return usage_error("missing command: the only one is generate");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "generate") != 0)
        return usage_error("unknown command '%s': the only one is generate", argv[1]);

    int rc = parse_options(argc - 2, argv + 2, &opts);
    if (rc != 0)
        return rc == 1 ? 0 : rc;

    cleanup_free char *spec = generate(&opts, &err);
    if (!spec) {
        nvd_log_error("%s", err->msg);
        return 1;
    }
    if (fputs(spec, stdout) == EOF || fflush(stdout) != 0) {
        nvd_log_error("failed to write the CDI spec to standard output");
        return 1;
    }
    return 0;
}
