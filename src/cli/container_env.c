/* container_env.c: a container's environment, merged as docker merges it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container_env.h"
#include "quote.h"
#include "scan.h"
#include "util.h"

/* The blanks that docker trims before a line of an --env-file and that a
 * name in it must not contain. */
#define LINE_BLANKS " \t\v\f\r"
#define NAME_BLANKS " \t"

/* Return the index of name[0..name_len) in env, or -1. */
static long find_var(const struct container_env *env, const char *name, size_t name_len)
{
    for (size_t i = 0; i < env->count; i++) {
        const char *var = env->vars[i];
        if (strncmp(var, name, name_len) == 0 && var[name_len] == '=')
            return (long)i;
    }
    return -1;
}

void container_env_set(struct container_env *env, const char *name, size_t name_len,
                       const char *value)
{
    long i = find_var(env, name, name_len);

    if (!value) {
        if (i >= 0) {
            free(env->vars[i]);
            memmove(&env->vars[i], &env->vars[i + 1],
                    (env->count - (size_t)i - 1) * sizeof(*env->vars));
            env->count--;
        }
        return;
    }
    char *var = nvd_xasprintf("%.*s=%s", (int)name_len, name, value);
    if (i >= 0) {
        free(env->vars[i]);
        env->vars[i] = var;
        return;
    }
    env->vars = nvd_xrealloc(env->vars, (env->count + 1) * sizeof(*env->vars));
    env->vars[env->count++] = var;
}

const char *container_env_get(const struct container_env *env, const char *name)
{
    long i = find_var(env, name, strlen(name));

    return i >= 0 ? env->vars[i] + strlen(name) + 1 : NULL;
}

void container_env_clear(struct container_env *env)
{
    for (size_t i = 0; i < env->count; i++)
        free(env->vars[i]);
    free(env->vars);
    memset(env, 0, sizeof(*env));
}

/* Apply one -e value: "NAME=VALUE", or "NAME", which takes our value of
 * NAME or, when we have none, unsets NAME. An empty name is skipped:
 * docker rejects it itself. */
static void apply_env_option(struct container_env *env, const char *value)
{
    const char *eq = strchr(value, '=');
    size_t name_len = eq ? (size_t)(eq - value) : strlen(value);

    if (name_len == 0)
        return;
    if (eq) {
        container_env_set(env, value, name_len, eq + 1);
        return;
    }
    container_env_set(env, value, name_len, getenv(value));
}

int container_env_apply_file(struct container_env *env, const char *path, const char *text,
                             size_t len, nvd_error **err)
{
    const char *end = text + len;
    const char *p = text;

    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    for (size_t line_no = 1; p < end; line_no++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        size_t line_len;

        while (p < line_end && *p && strchr(LINE_BLANKS, *p))
            p++;
        line_len = (size_t)(line_end - p);
        /* Go's line scanner drops the "\r" of a "\r\n" line end. */
        if (line_len > 0 && p[line_len - 1] == '\r')
            line_len--;
        if (line_len > 0 && p[0] != '#') {
            if (memchr(p, '\0', line_len))
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "invalid --env-file %s: line %zu contains a NUL byte",
                                     path, line_no);
            const char *eq = memchr(p, '=', line_len);
            size_t name_len = eq ? (size_t)(eq - p) : line_len;
            if (name_len == 0)
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "invalid --env-file %s: line %zu has no variable name",
                                     path, line_no);
            if (strcspn(p, NAME_BLANKS) < name_len) {
                cleanup_free char *shown = nvd_quote_bytes(p, name_len);
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "invalid --env-file %s: the variable name \"%s\" on line "
                                     "%zu contains blanks",
                                     path, shown, line_no);
            }
            if (eq) {
                cleanup_free char *value =
                    nvd_xasprintf("%.*s", (int)(line_len - name_len - 1), eq + 1);
                container_env_set(env, p, name_len, value);
            } else {
                cleanup_free char *name = nvd_xasprintf("%.*s", (int)name_len, p);
                const char *ours = getenv(name);
                if (ours)
                    container_env_set(env, name, name_len, ours);
            }
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* Read the whole of path into *text. */
static int read_env_file(const char *path, char **text, size_t *len, nvd_error **err)
{
    cleanup_file FILE *f = fopen(path, "rb");
    struct nvd_buf buf = { 0 };
    char chunk[8192];
    size_t n;

    if (!f)
        return nvd_error_sys(err, errno, "cannot open --env-file %s", path);
    nvd_buf_puts(&buf, "");
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        nvd_buf_append(&buf, chunk, n);
    if (ferror(f)) {
        nvd_buf_free(&buf);
        return nvd_error_sys(err, EIO, "cannot read --env-file %s", path);
    }
    *len = buf.len;
    *text = nvd_buf_steal(&buf);
    return 0;
}

/* The -e and --env-file values of a command line, in order. */
struct env_options {
    size_t env_count, file_count;
    const char **envs;
    const char **files;
};

static void collect_env_option(const struct scan_option *opt, void *ctx)
{
    struct env_options *o = ctx;

    if (!opt->value)
        return;
    if ((opt->is_short && opt->name[0] == 'e') ||
        (!opt->is_short && opt->name_len == 3 && strncmp(opt->name, "env", 3) == 0))
        o->envs[o->env_count++] = opt->value;
    else if (!opt->is_short && opt->name_len == 8 && strncmp(opt->name, "env-file", 8) == 0)
        o->files[o->file_count++] = opt->value;
}

int container_env_build(json_t *config, char *const *args, int count, int start,
                        struct container_env *out, nvd_error **err)
{
    struct env_options opts = { 0 };
    size_t slots = count > 0 ? (size_t)count : 1;
    json_t *image_env = json_object_get(config, "Env");
    size_t i;
    json_t *item;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    json_array_foreach(image_env, i, item) {
        const char *var = json_string_value(item);
        const char *eq = var ? strchr(var, '=') : NULL;
        if (eq && eq != var)
            container_env_set(out, var, (size_t)(eq - var), eq + 1);
    }

    /* Each option takes at least one argument, which bounds the lists. */
    opts.envs = nvd_xcalloc(slots, sizeof(*opts.envs));
    opts.files = nvd_xcalloc(slots, sizeof(*opts.files));
    scan_options(args, count, start, &scan_run_grammar, collect_env_option, &opts);

    /* docker applies every --env-file before every -e, whatever their order. */
    for (i = 0; i < opts.file_count; i++) {
        cleanup_free char *text = NULL;
        size_t len;
        if (read_env_file(opts.files[i], &text, &len, err) < 0 ||
            container_env_apply_file(out, opts.files[i], text, len, err) < 0)
            goto out;
    }
    for (i = 0; i < opts.env_count; i++)
        apply_env_option(out, opts.envs[i]);
    rc = 0;
out:
    free(opts.envs);
    free(opts.files);
    if (rc < 0)
        container_env_clear(out);
    return rc;
}
