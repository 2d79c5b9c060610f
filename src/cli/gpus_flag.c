/* gpus_flag.c: docker's --gpus value, parsed as docker's CLI does. */
#include <limits.h>
#include <string.h>

#include "gpus_flag.h"
#include "quote.h"
#include "scan.h"
#include "util.h"

/* Shown in errors as the forms --gpus takes. */
#define GPUS_FORMS "all, a count such as 2, or device=0 (quote a list: '\"device=0,2\"')"

/* The capabilities that docker matches NVIDIA GPUs with. Every one gets
 * the same driver volume, which contains the files of all of them. */
static const char *const capabilities[] = {
    "gpu", "nvidia", "compute", "compat32", "graphics", "utility", "video", "display",
};

/* The fields of a CSV line, as new strings. */
struct csv_fields {
    size_t count;
    char **items;
    bool *quoted;       /* whether each field was in quotes */
};

static void csv_fields_clear(struct csv_fields *f)
{
    for (size_t i = 0; i < f->count; i++)
        free(f->items[i]);
    free(f->items);
    free(f->quoted);
    memset(f, 0, sizeof(*f));
}

/* Split one line of CSV as Go's encoding/csv reads it. A field that starts
 * with '"' is quoted: inside it, "" is one '"', and the closing quote ends
 * the field. A '"' anywhere else is an error. */
static int csv_split(const char *line, struct csv_fields *out, const char **problem)
{
    size_t len = strlen(line);
    const char *p = line;

    out->items = nvd_xcalloc(len + 2, sizeof(*out->items));
    out->quoted = nvd_xcalloc(len + 2, sizeof(*out->quoted));
    out->count = 0;
    for (;;) {
        struct nvd_buf field = { 0 };

        nvd_buf_puts(&field, "");
        out->quoted[out->count] = *p == '"';
        if (*p == '"') {
            for (p++;; p++) {
                if (*p == '\0') {
                    *problem = "a quote is not closed";
                    nvd_buf_free(&field);
                    return -1;
                }
                if (*p == '"' && p[1] == '"') {
                    nvd_buf_append(&field, p, 1);
                    p++;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    nvd_buf_append(&field, p, 1);
                }
            }
            if (*p != ',' && *p != '\0') {
                *problem = "a closing quote is followed by more than a comma";
                nvd_buf_free(&field);
                return -1;
            }
        } else {
            size_t n = strcspn(p, ",\"");
            if (p[n] == '"') {
                *problem = "a quote stands inside a field that does not start with one";
                nvd_buf_free(&field);
                return -1;
            }
            nvd_buf_append(&field, p, n);
            p += n;
        }
        out->items[out->count++] = nvd_buf_steal(&field);
        if (*p == '\0')
            return 0;
        p++;  /* the comma */
    }
}

/* Parse a count as docker does (decimal; "all" is handled by the caller). */
static bool parse_count(const char *s, long *out)
{
    long v = 0;

    if (!*s)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > (LONG_MAX - 9) / 10)
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return true;
}

static bool is_capability(const char *name)
{
    for (size_t i = 0; i < sizeof(capabilities) / sizeof(capabilities[0]); i++)
        if (strcmp(name, capabilities[i]) == 0)
            return true;
    return false;
}

/* The state of one parse: what was seen so far. */
struct gpus_parse {
    const char *value;
    struct gpus_flag *out;
    struct nvd_buf devices;
    bool seen_count, seen_device, seen_capabilities, seen_driver, seen_options;
    const char *list_key;   /* "device" or "capabilities" while a list goes on */
};

/* Set the count from "all" or a number in text. */
static int take_count(struct gpus_parse *st, const char *text, nvd_error **err)
{
    if (st->seen_count)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid --gpus %s: the count is given twice; give it once",
                             st->value);
    st->seen_count = true;
    if (strcmp(text, "all") == 0) {
        st->out->kind = GPUS_ALL;
        return 0;
    }
    if (!parse_count(text, &st->out->count)) {
        cleanup_free char *shown = nvd_quote_str(text);
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid --gpus %s: \"%s\" is not a count; give " GPUS_FORMS,
                             st->value, shown);
    }
    st->out->kind = GPUS_COUNT;
    return 0;
}

/* Add one device ID to the list. */
static int take_device(struct gpus_parse *st, const char *id, nvd_error **err)
{
    if (!*id)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid --gpus %s: empty device ID; give indexes or UUIDs, such "
                             "as device=0 or '\"device=0,2\"'",
                             st->value);
    if (st->devices.len > 0)
        nvd_buf_puts(&st->devices, ",");
    nvd_buf_puts(&st->devices, id);
    return 0;
}

static int take_capability(struct gpus_parse *st, const char *name, nvd_error **err)
{
    if (!is_capability(name)) {
        cleanup_free char *shown = nvd_quote_str(name);
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid --gpus %s: unknown capability \"%s\"; use gpu, compute, "
                             "compat32, graphics, utility, video or display",
                             st->value, shown);
    }
    return 0;
}

/* Apply take to each comma-separated item of list. */
static int take_list(struct gpus_parse *st, const char *list,
                     int (*take)(struct gpus_parse *, const char *, nvd_error **), nvd_error **err)
{
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        cleanup_free char *item = nvd_xasprintf("%.*s", (int)n, p);
        if (take(st, item, err) < 0)
            return -1;
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

/* Mark key as seen; fail when it was seen before, as docker does. */
static int see_once(struct gpus_parse *st, bool *seen, const char *key, nvd_error **err)
{
    if (*seen)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid --gpus %s: %s= is given twice; give it once",
                             st->value, key);
    *seen = true;
    return 0;
}

/* Apply one "key=value" field. */
static int take_pair(struct gpus_parse *st, const char *key, const char *val, nvd_error **err)
{
    st->list_key = NULL;
    if (strcmp(key, "count") == 0)
        return take_count(st, val, err);
    if (strcmp(key, "device") == 0) {
        if (see_once(st, &st->seen_device, key, err) < 0)
            return -1;
        st->list_key = "device";
        return take_list(st, val, take_device, err);
    }
    if (strcmp(key, "capabilities") == 0) {
        if (see_once(st, &st->seen_capabilities, key, err) < 0)
            return -1;
        st->list_key = "capabilities";
        return take_list(st, val, take_capability, err);
    }
    if (strcmp(key, "driver") == 0) {
        if (see_once(st, &st->seen_driver, key, err) < 0)
            return -1;
        if (strcmp(val, "nvidia") != 0)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid --gpus %s: nvidia-docker gives only NVIDIA GPUs, so "
                                 "driver= can only be nvidia",
                                 st->value);
        return 0;
    }
    if (strcmp(key, "options") == 0)
        return see_once(st, &st->seen_options, key, err);
    cleanup_free char *shown = nvd_quote_str(key);
    return nvd_error_set(err, NVD_ERR_INVALID,
                         "invalid --gpus %s: unknown key \"%s\"; give " GPUS_FORMS,
                         st->value, shown);
}

int gpus_flag_parse(const char *value, struct gpus_flag *out, nvd_error **err)
{
    /* st.value is the value as messages show it. */
    cleanup_free char *shown = nvd_quote_str(value);
    struct gpus_parse st = { .value = shown, .out = out };
    struct csv_fields fields = { 0 };
    const char *problem = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    for (const char *p = value; *p; p++) {
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid --gpus value: it contains a control character; "
                                 "give " GPUS_FORMS);
    }
    if (!*value)
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid --gpus \"\": give " GPUS_FORMS);
    if (csv_split(value, &fields, &problem) < 0) {
        nvd_error_set(err, NVD_ERR_INVALID, "invalid --gpus %s: %s; give " GPUS_FORMS,
                      shown, problem);
        goto out;
    }

    for (size_t i = 0; i < fields.count; i++) {
        const char *field = fields.items[i];
        const char *eq = strchr(field, '=');

        if (eq) {
            cleanup_free char *key = nvd_xasprintf("%.*s", (int)(eq - field), field);
            if (take_pair(&st, key, eq + 1, err) < 0)
                goto out;
            /* A quoted field contains its whole list. */
            if (fields.quoted[i])
                st.list_key = NULL;
        } else if (st.list_key && strcmp(st.list_key, "device") == 0) {
            if (take_device(&st, field, err) < 0)
                goto out;
        } else if (st.list_key) {
            if (take_capability(&st, field, err) < 0)
                goto out;
        } else if (take_count(&st, field, err) < 0) {
            goto out;
        }
    }

    if (st.seen_device && st.seen_count) {
        nvd_error_set(err, NVD_ERR_INVALID,
                      "invalid --gpus %s: give either a count or device=, not both", shown);
        goto out;
    }
    if (st.seen_device) {
        out->kind = GPUS_DEVICES;
        out->devices = nvd_buf_steal(&st.devices);
    } else if (!st.seen_count) {
        /* docker requests one GPU when neither is given. */
        out->kind = GPUS_COUNT;
        out->count = 1;
    }
    rc = 0;
out:
    nvd_buf_free(&st.devices);
    csv_fields_clear(&fields);
    if (rc < 0)
        gpus_flag_clear(out);
    return rc;
}

void gpus_flag_clear(struct gpus_flag *flag)
{
    free(flag->devices);
    memset(flag, 0, sizeof(*flag));
}

char *gpus_flag_selection(const struct gpus_flag *flag, const char *value, size_t gpu_count,
                          nvd_error **err)
{
    switch (flag->kind) {
    case GPUS_ALL:
        return nvd_xstrdup("all");
    case GPUS_DEVICES:
        return nvd_xstrdup(flag->devices);
    case GPUS_COUNT:
        break;
    }
    if (flag->count == 0)
        return nvd_xstrdup("void");
    if ((unsigned long)flag->count > gpu_count) {
        cleanup_free char *shown = nvd_quote_str(value);
        nvd_error_set(err, NVD_ERR_INVALID,
                      "--gpus %s requests %ld GPU%s, but this host has %zu: request at "
                      "most %zu, or all",
                      shown, flag->count, flag->count == 1 ? "" : "s", gpu_count, gpu_count);
        return NULL;
    }

    struct nvd_buf list = { 0 };
    for (long i = 0; i < flag->count; i++)
        nvd_buf_printf(&list, i > 0 ? ",%ld" : "%ld", i);
    return nvd_buf_steal(&list);
}

/* The --gpus options met while walking a command line. */
struct gpus_walk {
    char *const *args;
    bool *drop;
    int found;
    const char *value;
    int missing_value;    /* how many had no value */
};

static void note_gpus_option(const struct scan_option *opt, void *ctx)
{
    struct gpus_walk *w = ctx;

    if (opt->is_short || opt->name_len != 4 || strncmp(opt->name, "gpus", 4) != 0)
        return;
    w->found++;
    w->drop[opt->index] = true;
    if (!opt->value) {
        w->missing_value++;
        return;
    }
    w->value = opt->value;
    /* "--gpus VALUE" has the value in the next argument, "--gpus=VALUE" in its own. */
    const char *arg = w->args[opt->index];
    if (!(opt->value > arg && opt->value <= arg + strlen(arg)))
        w->drop[opt->index + 1] = true;
}

int gpus_flag_find(char *const *args, int count, int start, bool *drop, const char **value,
                   nvd_error **err)
{
    struct gpus_walk w = { .args = args, .drop = drop };

    *value = NULL;
    scan_options(args, count, start, &scan_run_grammar, note_gpus_option, &w);
    if (w.missing_value > 0)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "--gpus needs a value: give " GPUS_FORMS);
    if (w.found > 1)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "--gpus is given %d times: give it once, with every GPU the "
                             "container needs",
                             w.found);
    *value = w.value;
    return 0;
}
