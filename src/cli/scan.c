/*
 * scan.c: the docker command-line scanner. Option tables list the options
 * that take a value, gathered from the docker CLI's help texts of versions
 * 1.9 to 28. An option that a given docker version lacks is harmless here,
 * because that docker rejects the command line anyway.
 */
#include <string.h>

#include "scan.h"

/* Global options with a value; -D, --debug, --tls, --tlsverify, -v,
 * --version and --help are booleans. */
static const char *const global_long_values[] = {
    "config", "context", "host", "log-level", "tlscacert", "tlscert",
    "tlskey", NULL,
};

const struct scan_grammar scan_global_grammar = {
    .long_values = global_long_values,
    .short_values = "Hcl",
};

/*
 * run and create options with a value. The booleans are --detach (-d),
 * --disable-content-trust, --help, --init, --interactive (-i),
 * --no-healthcheck, --oom-kill-disable, --privileged, --publish-all (-P),
 * --quiet (-q), --read-only, --rm, --sig-proxy, --tty (-t) and
 * --use-api-socket. Windows-only and removed options are listed too.
 */
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

/* -a attach, -c cpu-shares, -e env, -h hostname, -l label, -m memory,
 * -p publish, -u user, -v volume, -w workdir. */
const struct scan_grammar scan_run_grammar = {
    .long_values = run_long_values,
    .short_values = "acehlmpuvw",
};

/* Return true when the long option name[0..len) takes a value in grammar. */
static bool long_takes_value(const struct scan_grammar *grammar,
                             const char *name, size_t len)
{
    for (const char *const *p = grammar->long_values; *p; p++) {
        if (strlen(*p) == len && memcmp(*p, name, len) == 0)
            return true;
    }
    return false;
}

/* Return true when the short option letter c takes a value in grammar. */
static bool short_takes_value(const struct scan_grammar *grammar, char c)
{
    return c != '\0' && strchr(grammar->short_values, c) != NULL;
}

/* Call fn for opt when a callback is set. */
static void report(scan_option_fn *fn, void *ctx, const struct scan_option *opt)
{
    if (fn)
        fn(opt, ctx);
}

/* Scan the long option args[*i] ("--name" or "--name=value"), advancing *i
 * past a value taken from the next argument. */
static void scan_long(char *const *args, int count, int *i,
                      const struct scan_grammar *grammar, scan_option_fn *fn,
                      void *ctx)
{
    const char *name = args[*i] + 2;
    const char *eq = strchr(name, '=');
    struct scan_option opt = { .name = name, .index = *i };

    if (eq) {
        opt.name_len = (size_t)(eq - name);
        opt.value = eq + 1;
    } else {
        opt.name_len = strlen(name);
        if (long_takes_value(grammar, name, opt.name_len) && *i + 1 < count)
            opt.value = args[++*i];
    }
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
        struct scan_option opt = {
            .name = token + j, .name_len = 1, .is_short = true, .index = *i,
        };

        /* pflag reads "-x=value" as the value of -x, boolean or not. */
        if (token[j + 1] == '=') {
            opt.value = token + j + 2;
            report(fn, ctx, &opt);
            return;
        }
        if (short_takes_value(grammar, token[j])) {
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
            scan_long(args, count, &i, grammar, fn, ctx);
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

/* Record the global options that choose the Docker engine. */
static void on_global_option(const struct scan_option *opt, void *ctx)
{
    struct scan_result *out = ctx;

    if (option_is(opt, "host", 'H')) {
        out->host = opt->value;
        out->host_count++;
    } else if (option_is(opt, "context", 'c')) {
        out->context = opt->value;
    } else if (option_is(opt, "config", '\0')) {
        out->config = opt->value;
    }
}

/* Record a --help among the run/create options. */
static void on_run_option(const struct scan_option *opt, void *ctx)
{
    struct scan_result *out = ctx;

    if (option_is(opt, "help", '\0'))
        out->help = true;
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

    int end = scan_options(args, count, 0, &scan_global_grammar, on_global_option, out);
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
    out->image_index = positional_after(args, count, end);

    /* Options go before a "--", where docker still reads them as options. */
    if (out->image_index >= 0)
        out->insert_index = end;
}
