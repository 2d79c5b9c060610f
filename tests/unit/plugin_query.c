/* Unit tests for query string decoding with Go's url.ParseQuery rules. */
#include "test_util.h"

#include "plugin.h"
#include "util.h"
#include "query.h"

/* Check that the value of key in query is want (NULL: no such pair). */
static void expect_query_value(const char *query, const char *key, const char *want)
{
    char *got = query_get(query, key);

    if (!want && got)
        fail_msg("query '%s': expected no %s, got '%s'", query, key, got);
    if (want && !got)
        fail_msg("query '%s': expected %s='%s', got none", query, key, want);
    if (want)
        assert_string_equal(got, want);
    free(got);
}

static void query_plain_values(void **state)
{
    expect_query_value("dev=0", "dev", "0");
    expect_query_value("vol=nvidia_driver&dev=1", "dev", "1");
    expect_query_value("vol=nvidia_driver&dev=1", "vol", "nvidia_driver");
    expect_query_value("", "dev", NULL);
    expect_query_value("devx=1&xdev=2", "dev", NULL);
}

static void query_first_occurrence_wins(void **state)
{
    expect_query_value("dev=0&dev=1", "dev", "0");
}

static void query_plus_and_escapes(void **state)
{
    expect_query_value("dev=0+1", "dev", "0 1");
    expect_query_value("dev=0%201", "dev", "0 1");
    expect_query_value("dev=GPU-8e%2d", "dev", "GPU-8e-");
    expect_query_value("dev=%2B", "dev", "+");
    expect_query_value("dev=a%3Db%26c", "dev", "a=b&c");
    expect_query_value("d%65v=2", "dev", "2");
    expect_query_value("d%65%76=3", "dev", "3");
}

static void query_empty_values(void **state)
{
    expect_query_value("dev=", "dev", "");
    expect_query_value("dev", "dev", "");
    expect_query_value("dev&vol=x", "dev", "");
    expect_query_value("dev=*", "dev", "*");
}

static void query_semicolon_separates(void **state)
{
    expect_query_value("vol=x;dev=2", "dev", "2");
    expect_query_value("&&;dev=3&", "dev", "3");
}

static void query_bad_escape_skips_pair(void **state)
{
    /* Go drops a pair whose name or value does not decode, and goes on. */
    expect_query_value("dev=%zz&dev=4", "dev", "4");
    expect_query_value("dev=%4&dev=5", "dev", "5");
    expect_query_value("dev=%", "dev", NULL);
    expect_query_value("de%v=1&dev=6", "dev", "6");
}

static void query_value_keeps_equals(void **state)
{
    expect_query_value("dev=a=b", "dev", "a=b");
}

static void query_nul_byte_spelled(void **state)
{
    expect_query_value("dev=0%00x", "dev", "0\\x00x");
    expect_query_value("dev=%00", "dev", "\\x00");
    expect_query_value("dev=%00%00", "dev", "\\x00\\x00");
    expect_query_value("d%00ev=1&dev=2", "dev", "2");
}

static void query_unescape_lengths(void **state)
{
    char out[16];

    assert_int_equal(query_unescape("a%41+", 5, out), 3);
    assert_memory_equal(out, "aA ", 3);
    assert_int_equal(query_unescape("%", 1, NULL), -1);
    assert_int_equal(query_unescape("%a", 2, NULL), -1);
    assert_int_equal(query_unescape("%ag", 3, NULL), -1);
    assert_int_equal(query_unescape("", 0, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_plain_values),
        cmocka_unit_test(query_first_occurrence_wins),
        cmocka_unit_test(query_plus_and_escapes),
        cmocka_unit_test(query_empty_values),
        cmocka_unit_test(query_semicolon_separates),
        cmocka_unit_test(query_bad_escape_skips_pair),
        cmocka_unit_test(query_value_keeps_equals),
        cmocka_unit_test(query_unescape_lengths),
        cmocka_unit_test(query_nul_byte_spelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
