/* Unit tests for the requirement expressions of CUDA images. */
#include "test_util.h"

#include "nvd.h"

/* The facts of k80x2 (driver 375.66, CUDA 8.0, a Tesla K80) and of an
 * a100 host, and of a host where no GPU is chosen. */
static const struct nvd_require_facts k80 = { "8.0", "375.66", "3.7", "Tesla" };
static const struct nvd_require_facts a100 = { "12.2", "535.104.05", "8.0", "Tesla" };
static const struct nvd_require_facts no_gpu = { "8.0", "375.66", NULL, NULL };

static const struct {
    const char *expr;
    const struct nvd_require_facts *facts;
    int want;           /* 1 holds, 0 does not */
    unsigned keys;      /* the keys the expression names */
} cases[] = {
    { "cuda>=8.0", &k80, 1, NVD_REQUIRE_CUDA },
    { "cuda>=8", &k80, 1, NVD_REQUIRE_CUDA },
    { "cuda>8.0", &k80, 0, NVD_REQUIRE_CUDA },
    { "cuda>=9.0", &k80, 0, NVD_REQUIRE_CUDA },
    { "cuda=8", &k80, 1, NVD_REQUIRE_CUDA },
    { "cuda=8.0.0", &k80, 1, NVD_REQUIRE_CUDA },
    { "cuda!=8.0", &k80, 0, NVD_REQUIRE_CUDA },
    { "cuda<8.1", &k80, 1, NVD_REQUIRE_CUDA },
    { "cuda<=7.5", &k80, 0, NVD_REQUIRE_CUDA },
    { "cuda>=12.2", &a100, 1, NVD_REQUIRE_CUDA },
    /* Parts compare as numbers, not as text: 12.10 > 12.9. */
    { "cuda>=12.10", &a100, 0, NVD_REQUIRE_CUDA },
    { "cuda>12.02", &a100, 0, NVD_REQUIRE_CUDA },
    { "driver>=375", &k80, 1, NVD_REQUIRE_DRIVER },
    { "driver>=375.66", &k80, 1, NVD_REQUIRE_DRIVER },
    { "driver>375.66", &k80, 0, NVD_REQUIRE_DRIVER },
    { "driver>=535.104.5", &a100, 1, NVD_REQUIRE_DRIVER },
    { "driver<535.104.06", &a100, 1, NVD_REQUIRE_DRIVER },
    { "driver>=99999999999999999999999", &a100, 0, NVD_REQUIRE_DRIVER },
    { "arch>=3.5", &k80, 1, NVD_REQUIRE_ARCH },
    { "arch>=5.0", &k80, 0, NVD_REQUIRE_ARCH },
    { "arch=8.0", &a100, 1, NVD_REQUIRE_ARCH },
    { "brand=tesla", &k80, 1, NVD_REQUIRE_BRAND },
    { "brand=TESLA", &k80, 1, NVD_REQUIRE_BRAND },
    { "brand=geforce", &k80, 0, NVD_REQUIRE_BRAND },
    { "brand!=geforce", &k80, 1, NVD_REQUIRE_BRAND },
    { "brand=tes", &k80, 0, NVD_REQUIRE_BRAND },
    /* Unknown facts hold: no GPU chosen means no arch and no brand. */
    { "arch>=9.0", &no_gpu, 1, NVD_REQUIRE_ARCH },
    { "brand=geforce", &no_gpu, 1, NVD_REQUIRE_BRAND },
    /* Commas are AND, blanks are OR. */
    { "cuda>=8.0,driver>=400", &k80, 0, NVD_REQUIRE_CUDA | NVD_REQUIRE_DRIVER },
    { "cuda>=8.0,driver>=375", &k80, 1, NVD_REQUIRE_CUDA | NVD_REQUIRE_DRIVER },
    { "cuda>=9.0 brand=tesla", &k80, 1, NVD_REQUIRE_CUDA | NVD_REQUIRE_BRAND },
    { "cuda>=9.0   brand=geforce\tdriver>=375", &k80, 1,
      NVD_REQUIRE_CUDA | NVD_REQUIRE_BRAND | NVD_REQUIRE_DRIVER },
    { "cuda>=12.2 brand=tesla,driver>=470,driver<471 brand=tesla,driver>=535,driver<536",
      &a100, 1, NVD_REQUIRE_CUDA | NVD_REQUIRE_BRAND | NVD_REQUIRE_DRIVER },
    { "cuda>=12.3 brand=tesla,driver>=470,driver<471 brand=nvidia,driver>=535,driver<536",
      &a100, 0, NVD_REQUIRE_CUDA | NVD_REQUIRE_BRAND | NVD_REQUIRE_DRIVER },
    /* An empty expression holds. */
    { "", &k80, 1, 0 },
    { "  \t ", &k80, 1, 0 },
};

static void test_require_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        nvd_error *err = NULL;
        unsigned keys = 0xffu;
        int got = nvd_require_eval(cases[i].expr, cases[i].facts, &keys, &err);

        if (got < 0)
            fail_msg("\"%s\" failed: %s", cases[i].expr, err->msg);
        if (got != cases[i].want)
            fail_msg("\"%s\" gave %d, expected %d", cases[i].expr, got, cases[i].want);
        if (keys != cases[i].keys)
            fail_msg("\"%s\" named keys %#x, expected %#x", cases[i].expr, keys, cases[i].keys);
    }
}

/* Malformed expressions and the text their error must contain. */
static const struct {
    const char *expr;
    const char *message;
} malformed[] = {
    { "cuda", "invalid requirement \"cuda\": expected one of the operators" },
    { "cuda>=", "invalid requirement \"cuda>=\": \"\" is not a version" },
    { "cuda>=8.x", "\"8.x\" is not a version" },
    { "cuda>=8..0", "\"8..0\" is not a version" },
    { "cuda>=.8", "\".8\" is not a version" },
    { "cuda>=8.", "\"8.\" is not a version" },
    { "cuda=>8.0", "\">8.0\" is not a version" },
    { "cuda>==8.0", "\"=8.0\" is not a version" },
    { "gpu>=1", "unknown key \"gpu\", expected cuda, driver, arch or brand" },
    { "CUDA>=8.0", "unknown key \"CUDA\"" },
    { ">=8.0", "unknown key \"\"" },
    { "brand<tesla", "a brand can only be compared with = or !=" },
    { "brand=", "expected a brand name" },
    { "brand==tesla", "expected a brand name" },
    { "cuda>=8.0,", "invalid requirement \"cuda>=8.0,\": empty condition" },
    { ",cuda>=8.0", "empty condition" },
    { "cuda>=8.0,,driver>=1", "empty condition" },
    /* A malformed group fails even when an earlier group holds. */
    { "cuda>=8.0 driver>=x", "\"x\" is not a version" },
};

static void test_require_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        nvd_error *err = NULL;
        unsigned keys = 0xffu;

        if (nvd_require_eval(malformed[i].expr, &k80, &keys, &err) != -1)
            fail_msg("\"%s\" did not fail", malformed[i].expr);
        assert_non_null(err);
        assert_int_equal(err->kind, NVD_ERR_INVALID);
        if (!strstr(err->msg, malformed[i].message))
            fail_msg("\"%s\" failed with \"%s\", expected \"%s\"", malformed[i].expr,
                     err->msg, malformed[i].message);
        assert_int_equal(keys, 0xffu);
        nvd_error_free(err);
    }
}

static void test_require_bad_fact(void **state)
{
    (void)state;
    const struct nvd_require_facts bad = { "N/A", "375.66", "3.7", "Tesla" };
    nvd_error *err = NULL;

    assert_int_equal(nvd_require_eval("cuda>=8.0", &bad, NULL, &err), -1);
    assert_string_equal(err->msg, "the CUDA version \"N/A\" is not a version");
    nvd_error_free(err);

    /* A bad fact that no condition compares is not an error. */
    err = NULL;
    assert_int_equal(nvd_require_eval("driver>=375", &bad, NULL, &err), 1);
    assert_null(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_require_table),
        cmocka_unit_test(test_require_malformed),
        cmocka_unit_test(test_require_bad_fact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
