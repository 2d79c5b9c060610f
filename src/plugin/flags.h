/*
 * flags.h: the command line of nvidia-docker-plugin, parsed with the rules
 * of Go's flag package as nvidia-docker 1.0 did.
 */
#ifndef NVD_PLUGIN_FLAGS_H
#define NVD_PLUGIN_FLAGS_H

#include <stdbool.h>
#include <stdio.h>

#include "nvd.h"

/* The daemon's settings. The strings point into argv or static defaults. */
struct plugin_options {
    const char *volumes_dir;   /* -d */
    const char *listen_addr;   /* -l: Go listen address, "host:port" */
    const char *socket_dir;    /* -s: directory of nvidia-docker.sock */
    const char *driver_root;   /* --driver-root */
    const char *dev_root;      /* --dev-root; empty means the driver root */
    const char *cdi_dir;       /* --cdi-dir; empty means no CDI spec is written */
    bool show_version;         /* -v */
};

/* Exit status of a command line that flags_parse() rejects, as Go's flag uses. */
#define FLAGS_EXIT_USAGE 2

/* Fill opts with the defaults of every flag. */
void flags_set_defaults(struct plugin_options *opts);

/*
 * Parse argv into opts as Go's flag package does: "-x v", "-x=v", "--x v",
 * "--x=v", bool flags without a value, "--" or the first non-flag argument
 * ends the flags and the remaining arguments are ignored. On an unknown
 * flag, a missing value or -h, writes the reason and the usage text to out
 * and returns -1; returns 0 otherwise.
 */
int flags_parse(struct plugin_options *opts, int argc, char *const argv[], FILE *out);

/* Write the usage text that Go's flag package prints, flags sorted by name. */
void flags_print_usage(const char *progname, FILE *out);

/*
 * Check the settings that flag parsing cannot: the driver root and the dev
 * root must be absolute paths without a space or a colon, because docker's
 * --device option cannot carry those characters, and a CDI directory, when
 * given, must be absolute.
 */
int flags_check(const struct plugin_options *opts, nvd_error **err);

/* Return the dev root in effect: --dev-root, or the driver root when unset. */
const char *flags_dev_root(const struct plugin_options *opts);

#endif /* NVD_PLUGIN_FLAGS_H */
