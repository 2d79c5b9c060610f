/*
 * scan.c: the docker command-line scanner. The option tables list every
 * option of docker's global, run and create commands in the docker CLI
 * 1.9 to 28, gathered from the CLI's flag definitions. An option
 * that a given docker version lacks is harmless here, because that docker
 * rejects the command line anyway.
 */
#include <string.h>

#include "scan.h"

/* Global options. -d and the daemon's options of docker 1.9-1.11, where
 * `docker -d` ran the daemon, are left out: nvidia-docker has no image to
 * find there, and passes such a command line through unchanged. */
static const char *const global_long_values[] = {
    "config", "context", "host", "log-level", "orchestrator", "tlscacert",
    "tlscert", "tlskey", NULL,
};

static const char *const global_long_bools[] = {
    "debug", "help", "tls", "tlsverify", "version", NULL,
};

const struct scan_grammar scan_global_grammar = {
    .long_values = global_long_values,
    .long_bools = global_long_bools,
    .short_values = "Hcl",
    .short_bools = "Dhv",
};

/* run and create options with a value, Windows-only and removed ones
 * (cpuset, lxc-conf, init-path, credentialspec) included. */
static const char *const run_long_values[] = {
    "add-host", "annotation", "attach", "blkio-weight",
    "blkio-weight-device", "cap-add", "cap-drop", "cgroup-parent",
    "cgroupns", "cidfile", "cpu-count", "cpu-percent", "cpu-period",
    "cpu-quota", "cpu-rt-period", "cpu-rt-runtime", "cpu-shares", "cpus",
    "cpuset", "cpuset-cpus", "cpuset-mems", "credentialspec", "detach-keys",
    "device", "device-cgroup-rule", "device-read-bps", "device-read-iops",
    "device-write-bps", "device-write-iops", "dns", "dns-opt", "dns-option",
    "dns-search", "domainname", "entrypoint", "env", "env-file", "expose",
    "gpus", "group-add", "health-cmd", "health-interval", "health-retries",
    "health-start-interval", "health-start-period", "health-timeout",
    "hostname", "init-path", "io-maxbandwidth", "io-maxiops", "ip", "ip6",
    "ipc", "isolation", "kernel-memory", "label", "label-file", "link",
    "link-local-ip", "log-driver", "log-opt", "lxc-conf", "mac-address",
    "memory", "memory-reservation", "memory-swap", "memory-swappiness",
    "mount", "name", "net", "net-alias", "network", "network-alias",
    "oom-score-adj", "pid", "pids-limit", "platform", "publish", "pull",
    "restart", "runtime", "security-opt", "shm-size", "stop-signal",
    "stop-timeout", "storage-opt", "sysctl", "tmpfs", "ulimit", "user",
    "userns", "uts", "volume", "volume-driver", "volumes-from", "workdir",
    NULL,
};

static const char *const run_long_bools[] = {
    "detach", "disable-content-trust", "help", "init", "interactive",
    "no-healthcheck", "oom-kill-disable", "privileged", "publish-all",
    "quiet", "read-only", "rm", "sig-proxy", "tty", "use-api-socket", NULL,
};

/* docker 1.9-1.12 still took these long names after one dash. */
static const char *const run_single_dash[] = {
    "cidfile", "dns", "name", "privileged", "rm", "sig-proxy", NULL,
};

/* Values: -a attach, -c cpu-shares, -e env, -h hostname, -l label,
 * -m memory, -p publish, -u user, -v volume, -w workdir. Booleans:
 * -d detach, -i interactive, -P publish-all, -q quiet, -t tty. */
const struct scan_grammar scan_run_grammar = {
    .long_values = run_long_values,
    .long_bools = run_long_bools,
    .short_values = "acehlmpuvw",
    .short_bools = "diPqt",
    .single_dash = run_single_dash,
};

/* Return true when name[0..len) is one of the NULL-terminated names. */
static bool name_in(const char *const *names, const char *name, size_t len)
{
    for (const char *const *p = names; p && *p; p++) {
        if (strlen(*p) == len && memcmp(*p, name, len) == 0)
            return true;
    }
    return false;
}

/* Return true when the letter c is one of letters. */
static bool letter_in(const char *letters, char c)
{
    return c != '\0' && letters && strchr(letters, c) != NULL;
}

/* Call fn for opt when a callback is set. */
static void report(scan_option_fn *fn, void *ctx, const struct scan_option *opt)
{
    if (fn)
        fn(opt, ctx);
}

/* Scan the long option args[*i] whose name starts at name ("name" or
 * "name=value"), advancing *i past a value taken from the next argument. */
static void scan_long(char *const *args, int count, int *i, const char *name,
                      const struct scan_grammar *grammar, scan_option_fn *fn,
                      void *ctx)
{
    const char *eq = strchr(name, '=');
    struct scan_option opt = { .name = name, .index = *i };

    opt.name_len = eq ? (size_t)(eq - name) : strlen(name);
    bool takes_value = name_in(grammar->long_values, name, opt.name_len);
    opt.known = takes_value || name_in(grammar->long_bools, name, opt.name_len);
    if (eq)
        opt.value = eq + 1;
    else if (takes_value && *i + 1 < count)
        opt.value = args[++*i];
    report(fn, ctx, &opt);
}

/* Scan the short cluster args[*i] ("-it", "-p8080:80", "-ite", "-e=X"),
 * advancing *i past a value taken from the next argument. */
static void scan_short(char *const *args, int count, int *i,
                       const struct scan_grammar *grammar, scan_option_fn *fn,
                       void *ctx)
{
    const char *token = args[*i];

    for (size_t j = 1; token[j] != '\0'; j++) {
        bool takes_value = letter_in(grammar->short_values, token[j]);
        struct scan_option opt = {
            .name = token + j, .name_len = 1, .is_short = true, .index = *i,
            .known = takes_value || letter_in(grammar->short_bools, token[j]),
        };

        /* pflag reads "-x=value" as the value of -x, boolean or not. */
        if (token[j + 1] == '=') {
            opt.value = token + j + 2;
            report(fn, ctx, &opt);
            return;
        }
        if (takes_value) {
            if (token[j + 1] != '\0')
                opt.value = token + j + 1;
            else if (*i + 1 < count)
                opt.value = args[++*i];
            report(fn, ctx, &opt);
            return;
        }
        report(fn, ctx, &opt);
    }
}

int scan_options(char *const *args, int count, int start,
                 const struct scan_grammar *grammar, scan_option_fn *fn,
                 void *ctx)
{
    for (int i = start; i < count; i++) {
        const char *token = args[i];

        /* "", "-" and anything not starting with a dash are positional. */
        if (token[0] != '-' || token[1] == '\0')
            return i;
        if (strcmp(token, "--") == 0)
            return i;
        if (token[1] == '-')
            scan_long(args, count, &i, token + 2, grammar, fn, ctx);
        else if (name_in(grammar->single_dash, token + 1, strcspn(token + 1, "=")))
            scan_long(args, count, &i, token + 1, grammar, fn, ctx);
        else
            scan_short(args, count, &i, grammar, fn, ctx);
    }
    return -1;
}

/* Return true when opt is the long option `name` or the short option `letter`
 * (0 for none). */
static bool option_is(const struct scan_option *opt, const char *name, char letter)
{
    if (opt->is_short)
        return letter != '\0' && opt->name[0] == letter;
    return strlen(name) == opt->name_len && memcmp(opt->name, name, opt->name_len) == 0;
}

/* Return true when a boolean option is on: given alone, or with one of the
 * values that Go's strconv.ParseBool reads as true. */
static bool bool_is_set(const struct scan_option *opt)
{
    static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True", NULL };

    return !opt->value || name_in(yes, opt->value, strlen(opt->value));
}

/* Record the first unknown option whose value could be the next argument. */
static void note_unknown(const struct scan_option *opt, struct scan_result *out)
{
    if (!opt->known && !opt->value && out->unknown_index < 0)
        out->unknown_index = opt->index;
}

/* Record the global options that choose the Docker engine, and those that
 * make docker print help or its version. */
static void on_global_option(const struct scan_option *opt, void *ctx)
{
    struct scan_result *out = ctx;

    note_unknown(opt, out);
    if (option_is(opt, "host", 'H')) {
        out->host = opt->value;
        out->host_count++;
    } else if (option_is(opt, "context", 'c')) {
        out->context = opt->value;
    } else if (option_is(opt, "config", '\0')) {
        out->config = opt->value;
    } else if (option_is(opt, "help", 'h') || option_is(opt, "version", 'v')) {
        out->help = out->help || bool_is_set(opt);
    }
}

/* Record the run/create options that nvidia-docker needs to know. */
static void on_run_option(const struct scan_option *opt, void *ctx)
{
    struct scan_result *out = ctx;

    note_unknown(opt, out);
    if (option_is(opt, "help", '\0'))
        out->help = out->help || bool_is_set(opt);
    else if (option_is(opt, "pull", '\0'))
        out->pull = opt->value;
    else if (option_is(opt, "platform", '\0'))
        out->platform = opt->value;
    else if (option_is(opt, "quiet", 'q'))
        out->quiet = bool_is_set(opt);
}

/* Return the index of the positional argument at or after the end of
 * options `end` (from scan_options()), stepping over a "--", or -1. */
static int positional_after(char *const *args, int count, int end)
{
    if (end >= 0 && strcmp(args[end], "--") == 0)
        end = end + 1 < count ? end + 1 : -1;
    return end;
}

void cli_scan(char *const *args, int count, struct scan_result *out)
{
    memset(out, 0, sizeof(*out));
    out->command = SCAN_NONE;
    out->command_index = -1;
    out->image_index = -1;
    out->insert_index = -1;
    out->unknown_index = -1;

    int end = scan_options(args, count, 0, &scan_global_grammar, on_global_option, out);
    if (out->unknown_index >= 0) {
        /* The sub-command may be the value of that option. */
        out->command = SCAN_OTHER;
        return;
    }
    int k = positional_after(args, count, end);
    if (k < 0)
        return;
    out->command_index = k;
    out->command = SCAN_OTHER;

    /* "container run" and "container create" are run and create; a bare
     * "container" or "container ls" passes through. */
    int sub = k;
    if (strcmp(args[k], "container") == 0) {
        if (k + 1 >= count)
            return;
        sub = k + 1;
    } else if (strcmp(args[k], "version") == 0) {
        out->command = SCAN_VERSION;
        return;
    }

    if (strcmp(args[sub], "run") == 0)
        out->command = SCAN_RUN;
    else if (strcmp(args[sub], "create") == 0)
        out->command = SCAN_CREATE;
    else
        return;
    end = scan_options(args, count, sub + 1, &scan_run_grammar, on_run_option, out);
    if (out->unknown_index >= 0)
        return;  /* the image may be the value of that option */
    out->image_index = positional_after(args, count, end);

    /* Options go before a "--", where docker still reads them as options. */
    if (out->image_index >= 0)
        out->insert_index = end;
}
