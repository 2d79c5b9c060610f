/*
 * scan.h: docker's command-line grammar, as far as nvidia-docker needs it.
 * The scanner finds the sub-command after docker's global options and, for
 * run and create, the image after their options. It is pure: it allocates
 * nothing, and every string it returns points into the arguments.
 */
#ifndef NVD_CLI_SCAN_H
#define NVD_CLI_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The options of one docker command. An option in neither list is unknown:
 * the scanner cannot tell whether it takes the next argument, so it never
 * guesses (see unknown_index below).
 */
struct scan_grammar {
    const char *const *long_values;  /* names without "--", NULL-terminated */
    const char *const *long_bools;   /* booleans, names without "--" */
    const char *short_values;        /* letters of the short options */
    const char *short_bools;
    /* Long names that docker 1.9-1.12 also took after a single dash
     * ("-name x"), limited to those that docker 1.13 and later reject, so
     * that reading them as long options never contradicts a newer docker. */
    const char *const *single_dash;
};

/* docker's global options, and the options of run and create (docker CLI
 * 1.9 to 28). */
extern const struct scan_grammar scan_global_grammar;
extern const struct scan_grammar scan_run_grammar;

/* One option met by scan_options(). */
struct scan_option {
    const char *name;     /* without dashes, not NUL-terminated */
    size_t name_len;      /* 1 for a short option */
    bool is_short;
    bool known;           /* listed in the grammar */
    const char *value;    /* NULL for a boolean without "=value" */
    int index;            /* argument holding the option */
};

typedef void scan_option_fn(const struct scan_option *opt, void *ctx);

/*
 * Walk the options of args[start..count) in Go pflag syntax: "--name value",
 * "--name=value", "-n value", "-nvalue", "-n=value", clusters "-it" where a
 * value option takes the rest of the token or, when it ends the token, the
 * next argument. An unknown option takes no argument. Call fn (when not
 * NULL) for every option and return the index where the options end: the
 * first positional argument, or the "--" that ends them, or -1 when the
 * arguments run out first.
 */
int scan_options(char *const *args, int count, int start,
                 const struct scan_grammar *grammar, scan_option_fn *fn,
                 void *ctx);

enum scan_command {
    SCAN_NONE,      /* no sub-command: "docker", "docker --help" */
    SCAN_OTHER,     /* a sub-command nvidia-docker passes through */
    SCAN_VERSION,   /* "version" */
    SCAN_RUN,       /* "run" or "container run" */
    SCAN_CREATE,    /* "create" or "container create" */
};

/* The result of cli_scan(). Indexes are into the args given to it. */
struct scan_result {
    enum scan_command command;
    /* First word of the sub-command ("container" for "container run"), or
     * -1: none, or SCAN_OTHER hidden behind an unknown global option. The
     * arguments before it are docker's global options. */
    int command_index;
    /* The image of run/create, or -1 when there is none ("run --help") or
     * when an unknown option hides it. */
    int image_index;
    /* Insertion point for options added to run/create: the image, or the
     * "--" before it. -1 when image_index is -1. */
    int insert_index;
    /*
     * The first option that the grammar does not know and whose value, if
     * it has one, could be the next argument ("--new-flag x img", "-X"), or
     * -1. Past it the sub-command or the image is not known for sure, so
     * the scan stops there: docker decides, and rejects a mistyped option.
     */
    int unknown_index;
    /* True when docker only prints help or its version: --help among the
     * run/create options, or -h, --help, -v, --version among the global
     * ones. */
    bool help;
    /* run/create options that say how docker gets the image: the last value
     * given, or NULL (false). */
    const char *pull;        /* --pull: always, missing or never */
    const char *platform;    /* --platform */
    bool quiet;              /* -q, --quiet: no pull progress */
    /* Global options that choose the engine: the last value given, or NULL. */
    const char *host;        /* -H, --host */
    int host_count;          /* how many were given: docker rejects two */
    const char *context;     /* -c, --context */
    const char *config;      /* --config */
};

/*
 * Scan args[0..count), the arguments after the program name. There is no
 * failure: for a command line docker would reject, the result describes
 * what was found, and docker reports the error when it runs.
 */
void cli_scan(char *const *args, int count, struct scan_result *out);

#endif /* NVD_CLI_SCAN_H */
