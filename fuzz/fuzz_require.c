/*
 * libFuzzer target for the requirement expressions of CUDA images
 * (src/lib/require.c). The input's first line is the expression; the next
 * four lines, where present, are the facts: CUDA version, driver version,
 * compute capability and brand.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nvd.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Evaluate expr against facts, checking the error contract. */
static int eval_checked(const char *expr, const struct nvd_require_facts *facts, unsigned *keys)
{
    nvd_error *err = NULL;
    int rc = nvd_require_eval(expr, facts, keys, &err);

    if (rc < -1 || rc > 1 || (rc == -1) != (err != NULL))
        abort();
    if (err && (err->kind != NVD_ERR_INVALID || !err->msg[0]))
        abort();
    nvd_error_free(err);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = nvd_xmalloc(size + 1);
    char *lines[5] = { NULL };
    size_t n = 0;

    memcpy(text, data, size);
    text[size] = '\0';
    for (char *p = text; n < 5 && p;) {
        lines[n++] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }

    const struct nvd_require_facts unknown = { 0 };
    const struct nvd_require_facts facts = { lines[1], lines[2], lines[3], lines[4] };
    unsigned keys = 0, unknown_keys = 0;

    /* With every fact unknown every condition holds, so an expression
     * either is malformed or holds. */
    int syntax = eval_checked(lines[0], &unknown, &unknown_keys);
    if (syntax == 0 || (unknown_keys & ~0xfu) != 0)
        abort();

    /* Facts never make a malformed expression well formed, nor change the
     * keys it names; the same input gives the same result. */
    int rc = eval_checked(lines[0], &facts, &keys);
    if (syntax < 0 && rc != -1)
        abort();
    if (rc >= 0 && keys != unknown_keys)
        abort();
    if (eval_checked(lines[0], &facts, NULL) != rc)
        abort();

    free(text);
    return 0;
}
