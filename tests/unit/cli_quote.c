/* Unit tests for nvd_quote_bytes(): how messages show values from outside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "quote.h"
#include "util.h"

static void test_quote_table(void **state)
{
    (void)state;
    /* A case: its bytes (NULs included) and how a message shows them. */
#define C(in, out) { in, sizeof(in) - 1, out }
    static const struct { const char *in; size_t len; const char *out; } cases[] = {
        C("8.0", "8.0"),
        C("", ""),
        C("a b\"c", "a b\"c"),
        C("\001\002 not http \377\376\n", "\\x01\\x02 not http \\xff\\xfe\\x0a"),
        C("tab\there", "tab\\x09here"),
        C("del\177", "del\\x7f"),
        C("back\\slash", "back\\\\slash"),
        C("caf\xc3\xa9", "caf\\xc3\\xa9"),
        C("nul\0byte", "nul\\x00byte"),
    };
#undef C

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = nvd_quote_bytes(cases[i].in, cases[i].len);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void test_quote_clips(void **state)
{
    (void)state;
    size_t len = 100000;
    char *big = nvd_xcalloc(len + 1, 1);
    memset(big, '9', len);

    char *got = nvd_quote_str(big);
    char *expected = nvd_xasprintf("%.*s... (100000 bytes)", NVD_QUOTE_MAX, big);
    assert_string_equal(got, expected);
    free(got);
    free(expected);

    /* Exactly NVD_QUOTE_MAX bytes are shown whole. */
    big[NVD_QUOTE_MAX] = '\0';
    got = nvd_quote_str(big);
    assert_string_equal(got, big);
    free(got);

    /* Escapes lengthen what is shown, not what is counted. */
    memset(big, '\377', NVD_QUOTE_MAX + 1);
    big[NVD_QUOTE_MAX + 1] = '\0';
    got = nvd_quote_str(big);
    assert_int_equal(strlen(got), 4 * NVD_QUOTE_MAX + strlen("... (121 bytes)"));
    assert_non_null(strstr(got, "\\xff... (121 bytes)"));
    free(got);
    free(big);

    got = nvd_quote_str(NULL);
    assert_string_equal(got, "(null)");
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_table),
        cmocka_unit_test(test_quote_clips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
