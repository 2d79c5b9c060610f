/*
 * flags.c: the plugin's flags as one table, parsed and printed with the
 * rules of Go's flag package (Go 1.5, which built nvidia-docker 1.0), so
 * that scripts and unit files written for 1.0 keep working.
 */
#include <stddef.h>
#include <string.h>

#include "flags.h"
#include "util.h"

#define DEFAULT_VOLUMES_DIR "/var/lib/nvidia-docker/volumes"
#define DEFAULT_LISTEN_ADDR "localhost:3476"
#define DEFAULT_SOCKET_DIR "/run/docker/plugins"
#define DEFAULT_DRIVER_ROOT "/"

enum flag_kind {
    FLAG_STRING,
    FLAG_BOOL,
};

/* One flag: its name without dashes and the option field it sets. */
struct flag_spec {
    const char *name;
    enum flag_kind kind;
    size_t offset;          /* of the field in struct plugin_options */
    const char *fallback;   /* default value of a string flag */
    const char *help;
};

/* Sorted by name, the order in which Go's flag package prints them. */
static const struct flag_spec flag_table[] = {
    {"cdi-dir", FLAG_STRING, offsetof(struct plugin_options, cdi_dir),
     "", "Directory where to keep the CDI spec " NVD_CDI_SPEC_FILE " current (empty means none)"},
    {"d", FLAG_STRING, offsetof(struct plugin_options, volumes_dir),
     DEFAULT_VOLUMES_DIR, "Path where to store the volumes"},
    {"dev-root", FLAG_STRING, offsetof(struct plugin_options, dev_root),
     "", "Root directory of the device nodes dev/nvidia* (empty means the driver root)"},
    {"driver-root", FLAG_STRING, offsetof(struct plugin_options, driver_root),
     DEFAULT_DRIVER_ROOT, "Root directory of the NVIDIA driver's libraries, binaries and etc/ld.so.cache"},
    {"l", FLAG_STRING, offsetof(struct plugin_options, listen_addr),
     DEFAULT_LISTEN_ADDR, "Server listen address"},
    {"s", FLAG_STRING, offsetof(struct plugin_options, socket_dir),
     DEFAULT_SOCKET_DIR, "Path to the plugin socket"},
    {"v", FLAG_BOOL, offsetof(struct plugin_options, show_version),
     NULL, "Show the plugin version information"},
};

#define FLAG_COUNT (sizeof(flag_table) / sizeof(flag_table[0]))

static const char **flag_string_field(struct plugin_options *opts,
                                      const struct flag_spec *flag)
{
    return (const char **)(void *)((char *)opts + flag->offset);
}

static bool *flag_bool_field(struct plugin_options *opts,
                             const struct flag_spec *flag)
{
    return (bool *)(void *)((char *)opts + flag->offset);
}

void flags_set_defaults(struct plugin_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        const struct flag_spec *flag = &flag_table[i];
        if (flag->kind == FLAG_STRING)
            *flag_string_field(opts, flag) = flag->fallback;
        else
            *flag_bool_field(opts, flag) = false;
    }
}

/* Find a flag by its name, which is name[0..len). */
static const struct flag_spec *flag_find(const char *name, size_t len)
{
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        if (strlen(flag_table[i].name) == len &&
            memcmp(flag_table[i].name, name, len) == 0)
            return &flag_table[i];
    }
    return NULL;
}

/* Parse a boolean as Go's strconv.ParseBool does; -1 when s is not one. */
static int parse_go_bool(const char *s)
{
    static const char *const truths[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const falsehoods[] = {"0", "f", "F", "FALSE", "false", "False"};

    for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
        if (strcmp(s, truths[i]) == 0)
            return 1;
        if (strcmp(s, falsehoods[i]) == 0)
            return 0;
    }
    return -1;
}

void flags_print_usage(const char *progname, FILE *out)
{
    fprintf(out, "Usage of %s:\n", progname);
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        const struct flag_spec *flag = &flag_table[i];

        /* Go puts the help of a one-letter bool flag on the same line. */
        if (flag->kind == FLAG_BOOL && strlen(flag->name) == 1)
            fprintf(out, "  -%s\t%s", flag->name, flag->help);
        else
            fprintf(out, "  -%s%s\n    \t%s", flag->name,
                    flag->kind == FLAG_STRING ? " string" : "", flag->help);
        if (flag->kind == FLAG_STRING && flag->fallback[0] != '\0')
            fprintf(out, " (default \"%s\")", flag->fallback);
        fputc('\n', out);
    }
}

/* Report a parse error as Go's flag package does: the message, then usage. */
static int flags_fail(const char *progname, FILE *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int flags_fail(const char *progname, FILE *out, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    flags_print_usage(progname, out);
    return -1;
}

int flags_parse(struct plugin_options *opts, int argc, char *const argv[], FILE *out)
{
    const char *progname = argc > 0 && argv[0] ? argv[0] : "nvidia-docker-plugin";

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        /* A lone "-" or anything without a dash is the first positional argument. */
        if (arg[0] != '-' || arg[1] == '\0')
            return 0;
        const char *name = arg + 1;
        if (name[0] == '-') {
            name++;
            if (name[0] == '\0')
                return 0;   /* "--" ends the flags */
        }
        if (name[0] == '\0' || name[0] == '-' || name[0] == '=')
            return flags_fail(progname, out, "bad flag syntax: %s", arg);

        const char *equals = strchr(name + 1, '=');
        size_t name_len = equals ? (size_t)(equals - name) : strlen(name);
        const char *value = equals ? equals + 1 : NULL;

        const struct flag_spec *flag = flag_find(name, name_len);
        if (!flag) {
            if ((name_len == 1 && name[0] == 'h') ||
                (name_len == 4 && memcmp(name, "help", 4) == 0)) {
                flags_print_usage(progname, out);
                return -1;
            }
            return flags_fail(progname, out, "flag provided but not defined: -%.*s",
                              (int)name_len, name);
        }

        if (flag->kind == FLAG_BOOL) {
            int truth = value ? parse_go_bool(value) : 1;
            if (truth < 0)
                return flags_fail(progname, out, "invalid boolean value \"%s\" for -%s: parse error",
                                  value, flag->name);
            *flag_bool_field(opts, flag) = truth == 1;
            continue;
        }

        /* A string flag without "=" takes the next argument, whatever it is. */
        if (!value) {
            if (i + 1 >= argc)
                return flags_fail(progname, out, "flag needs an argument: -%s", flag->name);
            value = argv[++i];
        }
        *flag_string_field(opts, flag) = value;
    }
    return 0;
}

const char *flags_dev_root(const struct plugin_options *opts)
{
    return opts->dev_root && opts->dev_root[0] ? opts->dev_root : opts->driver_root;
}

/* Check one root directory given by the flag named flag_name. */
static int check_root(const char *flag_name, const char *root, nvd_error **err)
{
    if (root[0] != '/')
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid --%s '%s': expected an absolute path", flag_name, root);
    if (strpbrk(root, " :"))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid --%s '%s': docker's --device option cannot carry a path "
                             "with a space or a colon, so choose a directory without them",
                             flag_name, root);
    return 0;
}

int flags_check(const struct plugin_options *opts, nvd_error **err)
{
    if (opts->cdi_dir[0] != '\0' && opts->cdi_dir[0] != '/')
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid --cdi-dir '%s': expected an absolute path", opts->cdi_dir);
    if (check_root("driver-root", opts->driver_root, err) < 0)
        return -1;
    return check_root("dev-root", flags_dev_root(opts), err);
}
