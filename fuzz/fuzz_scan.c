/*
 * libFuzzer target for the docker command-line scanner (src/cli/scan.c):
 * the input is a command line with its arguments separated by NUL bytes,
 * as nvidia-docker receives it after its own name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "util.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The option values met by one scan_options() walk. */
struct values {
    const char *seen[MAX_ARGS * 2];
    int count;
    int last_index;
};

/* Record a value, and check that options come in order and in range. */
static void collect(const struct scan_option *opt, void *ctx)
{
    struct values *v = ctx;

    if (opt->index < v->last_index || (opt->is_short && opt->name_len != 1))
        abort();
    v->last_index = opt->index;
    if (opt->value && v->count < MAX_ARGS * 2)
        v->seen[v->count++] = opt->value;
}

/* The checks that hold for every result of cli_scan(). */
static void check(char *const *args, int count, const struct scan_result *r)
{
    if (r->command_index < -1 || r->command_index >= count ||
        r->image_index < -1 || r->image_index >= count ||
        r->unknown_index < -1 || r->unknown_index >= count)
        abort();
    if (r->image_index < 0) {
        if (r->insert_index != -1)
            abort();
        return;
    }

    /* An image only for run and create, after the sub-command, and only
     * when no unknown option leaves it in doubt. */
    if (r->command != SCAN_RUN && r->command != SCAN_CREATE)
        abort();
    if (r->unknown_index != -1 || r->image_index <= r->command_index)
        abort();
    int sub = r->command_index;
    if (strcmp(args[sub], "container") == 0)
        sub++;
    if (strcmp(args[sub], "run") != 0 && strcmp(args[sub], "create") != 0)
        abort();

    /* Insertion goes right before the image, or before the "--" before it. */
    const char *image = args[r->image_index];
    bool after_dashes = r->insert_index == r->image_index - 1;
    if (r->insert_index != r->image_index && !after_dashes)
        abort();
    if (after_dashes && strcmp(args[r->insert_index], "--") != 0)
        abort();
    if (!after_dashes && image[0] == '-' && image[1] != '\0')
        abort();

    /* The image is never the value of an option. */
    struct values v = { .last_index = -1 };
    int end = scan_options(args, count, sub + 1, &scan_run_grammar, collect, &v);
    if (end < 0 || end != r->insert_index)
        abort();
    for (int i = 0; i < v.count; i++) {
        if (v.seen[i] == image)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = nvd_xmalloc(size + 1);
    char *args[MAX_ARGS];
    int count = 0;

    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t start = 0; start <= size && count < MAX_ARGS;) {
        args[count++] = text + start;
        start += strlen(text + start) + 1;
    }

    struct scan_result first, again;
    cli_scan(args, count, &first);
    check(args, count, &first);

    /* The scan is pure: the same arguments give the same result. */
    cli_scan(args, count, &again);
    if (memcmp(&first, &again, sizeof(first)) != 0)
        abort();

    /* Walking all options never runs past the arguments. */
    for (int start = 0; start < count; start++) {
        int end = scan_options(args, count, start, &scan_global_grammar, NULL, NULL);
        if (end < -1 || end >= count || (end >= 0 && end < start))
            abort();
    }

    free(text);
    return 0;
}
