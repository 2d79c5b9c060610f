/*
 * require.c: the requirement expressions of CUDA images (NVIDIA_REQUIRE_*),
 * in the grammar of libnvidia-container's --require. An expression is
 * groups separated by blanks, any of which must hold (OR). A group is
 * conditions separated by commas, all of which must hold (AND). A
 * condition is <key><operator><value> with the keys cuda, driver and arch
 * (dotted versions, compared part by part as numbers, missing parts being
 * 0) and brand (a name, compared without case, = and != only), and the
 * operators = != < <= > >=. A condition on an unknown fact holds.
 */
#include <string.h>
#include <strings.h>

#include "quote.h"
#include "util.h"

#define BLANKS " \t\n\r\v\f"

enum require_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

/* The operators, longest first so that "<=" is not read as "<". */
static const struct {
    const char *text;
    enum require_op op;
} operators[] = {
    { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
    { "=", OP_EQ }, { "<", OP_LT }, { ">", OP_GT },
};

/* The keys of a condition and where their facts are. */
static const struct {
    const char *name;
    enum nvd_require_key key;
    bool is_version;
    const char *fact_name;   /* for messages on a malformed fact */
} keys[] = {
    { "cuda", NVD_REQUIRE_CUDA, true, "CUDA version" },
    { "driver", NVD_REQUIRE_DRIVER, true, "driver version" },
    { "arch", NVD_REQUIRE_ARCH, true, "compute capability" },
    { "brand", NVD_REQUIRE_BRAND, false, "brand" },
};

/* One condition, pointing into the expression. */
struct condition {
    size_t key;              /* index into keys[] */
    enum require_op op;
    const char *value;
    size_t value_len;
};

/* Return true when s[0..len) is a dotted version: digits, single dots
 * between them ("8", "8.0", "375.66", "535.104.05"). */
static bool is_version(const char *s, size_t len)
{
    if (len == 0 || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/* Take the next dot-separated number of *s (at most *len bytes left) as
 * digits without leading zeros, and move past it and its dot. */
static void next_part(const char **s, size_t *len, const char **digits, size_t *digits_len)
{
    size_t n = 0;

    while (n < *len && (*s)[n] != '.')
        n++;
    *digits = *s;
    *digits_len = n;
    while (*digits_len > 0 && **digits == '0') {
        (*digits)++;
        (*digits_len)--;
    }
    *s += n;
    *len -= n;
    if (*len > 0) {
        (*s)++;
        (*len)--;
    }
}

/* Compare two dotted versions part by part as numbers of any size; a
 * missing part counts as 0, so "8" equals "8.0". Return <0, 0 or >0. */
static int compare_versions(const char *a, size_t a_len, const char *b, size_t b_len)
{
    while (a_len > 0 || b_len > 0) {
        const char *da, *db;
        size_t na, nb;

        next_part(&a, &a_len, &da, &na);
        next_part(&b, &b_len, &db, &nb);
        if (na != nb)
            return na < nb ? -1 : 1;
        int c = memcmp(da, db, na);
        if (c != 0)
            return c;
    }
    return 0;
}

/* Return true when the comparison result c satisfies op. */
static bool op_holds(enum require_op op, int c)
{
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    case OP_GE: return c >= 0;
    }
    return false;
}

/* Parse the condition text[0..len) into *cond. */
static int parse_condition(const char *text, size_t len, struct condition *cond,
                           nvd_error **err)
{
    size_t name_len = 0;
    cleanup_free char *shown = nvd_quote_bytes(text, len);

    while (name_len < len && strchr("!<>=", text[name_len]) == NULL)
        name_len++;

    bool found = false;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strlen(keys[i].name) == name_len && strncmp(text, keys[i].name, name_len) == 0) {
            cond->key = i;
            found = true;
        }
    }
    if (!found) {
        cleanup_free char *name = nvd_quote_bytes(text, name_len);
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid requirement \"%s\": unknown key \"%s\", expected cuda, "
                             "driver, arch or brand",
                             shown, name);
    }

    const char *rest = text + name_len;
    size_t rest_len = len - name_len;
    found = false;
    for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]) && !found; i++) {
        size_t op_len = strlen(operators[i].text);
        if (rest_len >= op_len && strncmp(rest, operators[i].text, op_len) == 0) {
            cond->op = operators[i].op;
            cond->value = rest + op_len;
            cond->value_len = rest_len - op_len;
            found = true;
        }
    }
    if (!found)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid requirement \"%s\": expected one of the operators "
                             "= != < <= > >= after \"%s\"",
                             shown, keys[cond->key].name);

    if (keys[cond->key].is_version && !is_version(cond->value, cond->value_len)) {
        cleanup_free char *value = nvd_quote_bytes(cond->value, cond->value_len);
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid requirement \"%s\": \"%s\" is not a version "
                             "such as 8.0",
                             shown, value);
    }
    if (!keys[cond->key].is_version) {
        if (cond->value_len == 0 || strcspn(cond->value, "!<>=") < cond->value_len)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid requirement \"%s\": expected a brand name "
                                 "such as tesla after the operator",
                                 shown);
        if (cond->op != OP_EQ && cond->op != OP_NE)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid requirement \"%s\": a brand can only be compared "
                                 "with = or !=",
                                 shown);
    }
    return 0;
}

/* Return the fact that condition key k is checked against, or NULL. */
static const char *fact_of(const struct nvd_require_facts *facts, enum nvd_require_key key)
{
    switch (key) {
    case NVD_REQUIRE_CUDA: return facts->cuda;
    case NVD_REQUIRE_DRIVER: return facts->driver;
    case NVD_REQUIRE_ARCH: return facts->arch;
    case NVD_REQUIRE_BRAND: return facts->brand;
    }
    return NULL;
}

/* Set *holds to whether cond holds for facts. A fact that should be a
 * version and is not fails: the caller reports where it came from. */
static int eval_condition(const struct condition *cond, const struct nvd_require_facts *facts,
                          bool *holds, nvd_error **err)
{
    const char *fact = fact_of(facts, keys[cond->key].key);

    if (!fact || !*fact) {
        *holds = true;
        return 0;
    }
    size_t fact_len = strlen(fact);
    int c;
    if (keys[cond->key].is_version) {
        if (!is_version(fact, fact_len)) {
            cleanup_free char *shown = nvd_quote_str(fact);
            return nvd_error_set(err, NVD_ERR_INVALID, "the %s \"%s\" is not a version",
                                 keys[cond->key].fact_name, shown);
        }
        c = compare_versions(fact, fact_len, cond->value, cond->value_len);
    } else {
        c = fact_len == cond->value_len ? strncasecmp(fact, cond->value, fact_len) : 1;
    }
    *holds = op_holds(cond->op, c);
    return 0;
}

int nvd_require_eval(const char *expr, const struct nvd_require_facts *facts,
                     unsigned *used_keys, nvd_error **err)
{
    bool any_group = false, met = false;
    unsigned used = 0;

    for (const char *p = expr; *p;) {
        p += strspn(p, BLANKS);
        size_t group_len = strcspn(p, BLANKS);
        if (group_len == 0)
            break;
        any_group = true;

        /* Every condition is parsed, even after the outcome is known, so
         * that a malformed expression always fails. */
        bool group_holds = true;
        for (const char *c = p, *end = p + group_len; c <= end;) {
            size_t len = 0;
            while (c + len < end && c[len] != ',')
                len++;
            if (len == 0) {
                cleanup_free char *shown = nvd_quote_bytes(p, group_len);
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "invalid requirement \"%s\": empty condition, remove "
                                     "the extra comma",
                                     shown);
            }

            struct condition cond = { 0 };
            bool holds = false;
            if (parse_condition(c, len, &cond, err) < 0 ||
                eval_condition(&cond, facts, &holds, err) < 0)
                return -1;
            used |= (unsigned)keys[cond.key].key;
            group_holds = group_holds && holds;
            c += len + 1;
        }
        met = met || group_holds;
        p += group_len;
    }
    if (used_keys)
        *used_keys = used;
    return met || !any_group ? 1 : 0;
}
