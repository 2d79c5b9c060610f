/* Unit tests for the translation of docker's --gpus option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gpus_flag.h"

/* --gpus values and the selection each makes on a host of 2 GPUs. */
static const struct {
    const char *value;
    const char *selection;
} valid[] = {
    { "all", "all" },
    { "count=all", "all" },
    { "1", "0" },
    { "2", "0,1" },
    { "count=2", "0,1" },
    { "0", "void" },
    { "count=0", "void" },
    { "device=1", "1" },
    { "\"device=0,1\"", "0,1" },
    { "device=0,1", "0,1" },
    { "\"device=1,0\",driver=nvidia", "1,0" },
    { "device=GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d",
      "GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d" },
    { "\"capabilities=compute,utility\",all", "all" },
    { "capabilities=compute,utility", "0" },
    { "all,capabilities=gpu", "all" },
    { "2,driver=nvidia,\"options=a=b,c=d\"", "0,1" },
    /* "" inside quotes is one quote, which is part of the ID. */
    { "\"device=a\"\"b\"", "a\"b" },
};

static void test_gpus_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        struct gpus_flag flag;
        nvd_error *err = NULL;

        if (gpus_flag_parse(valid[i].value, &flag, &err) < 0)
            fail_msg("--gpus %s failed: %s", valid[i].value, err->msg);
        char *selection = gpus_flag_selection(&flag, valid[i].value, 2, &err);
        if (!selection)
            fail_msg("--gpus %s failed: %s", valid[i].value, err->msg);
        if (strcmp(selection, valid[i].selection) != 0)
            fail_msg("--gpus %s selected \"%s\", expected \"%s\"", valid[i].value, selection,
                     valid[i].selection);
        free(selection);
        gpus_flag_clear(&flag);
    }
}

/* Bad --gpus values and the text their error must contain. */
static const struct {
    const char *value;
    const char *message;
} invalid[] = {
    { "", "invalid --gpus \"\": give all, a count such as 2, or device=0" },
    { "two", "invalid --gpus two: \"two\" is not a count" },
    { "-1", "\"-1\" is not a count" },
    { "99999999999999999999", "is not a count" },
    { "all,all", "the count is given twice" },
    { "2,count=1", "the count is given twice" },
    { "device=0,device=1", "device= is given twice" },
    { "2,device=0", "give either a count or device=, not both" },
    { "device=", "empty device ID" },
    { "\"device=0,,1\"", "empty device ID" },
    { "driver=amd", "driver= can only be nvidia" },
    { "capabilities=teleport", "unknown capability \"teleport\"" },
    { "gpu=0", "unknown key \"gpu\"" },
    { "\"device=0", "a quote is not closed" },
    { "\"device=0\"x", "a closing quote is followed by more than a comma" },
    { "device=0\"", "a quote stands inside a field" },
    { "all\n", "contains a control character" },
};

static void test_gpus_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        struct gpus_flag flag;
        nvd_error *err = NULL;

        if (gpus_flag_parse(invalid[i].value, &flag, &err) == 0)
            fail_msg("--gpus %s did not fail", invalid[i].value);
        assert_int_equal(err->kind, NVD_ERR_INVALID);
        if (!strstr(err->msg, invalid[i].message))
            fail_msg("--gpus %s failed with \"%s\", expected \"%s\"", invalid[i].value,
                     err->msg, invalid[i].message);
        nvd_error_free(err);
    }
}

static void test_gpus_count_above_host(void **state)
{
    (void)state;
    struct gpus_flag flag;
    nvd_error *err = NULL;

    assert_int_equal(gpus_flag_parse("3", &flag, NULL), 0);
    assert_null(gpus_flag_selection(&flag, "3", 2, &err));
    assert_string_equal(err->msg, "--gpus 3 requests 3 GPUs, but this host has 2: request at "
                                  "most 2, or all");
    nvd_error_free(err);
    gpus_flag_clear(&flag);
}

#define V(a) ((char *const *)(a))

static void test_gpus_find(void **state)
{
    (void)state;
    const char *args[] = { "run", "-it", "--gpus", "all", "--rm", "img", "--gpus", "1" };
    bool drop[8] = { false };
    const char *value;

    assert_int_equal(gpus_flag_find(V(args), 8, 1, drop, &value, NULL), 0);
    assert_string_equal(value, "all");
    static const bool want[] = { false, false, true, true, false, false, false, false };
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(drop[i], want[i]);

    const char *glued[] = { "container", "run", "--gpus=device=1", "img" };
    bool drop2[4] = { false };
    assert_int_equal(gpus_flag_find(V(glued), 4, 2, drop2, &value, NULL), 0);
    assert_string_equal(value, "device=1");
    assert_false(drop2[1]);
    assert_true(drop2[2]);
    assert_false(drop2[3]);

    const char *none[] = { "run", "--rm", "img" };
    bool drop3[3] = { false };
    assert_int_equal(gpus_flag_find(V(none), 3, 1, drop3, &value, NULL), 0);
    assert_null(value);

    nvd_error *err = NULL;
    const char *twice[] = { "run", "--gpus", "1", "--gpus=all", "img" };
    bool drop4[5] = { false };
    assert_int_equal(gpus_flag_find(V(twice), 5, 1, drop4, &value, &err), -1);
    assert_non_null(strstr(err->msg, "--gpus is given 2 times"));
    nvd_error_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpus_valid),
        cmocka_unit_test(test_gpus_invalid),
        cmocka_unit_test(test_gpus_count_above_host),
        cmocka_unit_test(test_gpus_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
