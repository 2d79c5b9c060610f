/* Unit tests for the GPU decision of nvidia-docker (the 1.0 labels,
 * NVIDIA_VISIBLE_DEVICES, NV_GPU, --gpus), the requirements it collects
 * and their checks against a /gpu/info/json reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "container_env.h"
#include "image.h"

/* Return a .Config object with the given labels and Env entries
 * (NULL-terminated lists; labels in name, value pairs). */
static json_t *make_config(const char *const *labels, const char *const *env)
{
    json_t *label_obj = json_object();
    json_t *env_array = json_array();

    for (size_t i = 0; labels && labels[i]; i += 2)
        json_object_set_new(label_obj, labels[i], json_string(labels[i + 1]));
    for (size_t i = 0; env && env[i]; i++)
        json_array_append_new(env_array, json_string(env[i]));
    return json_pack("{s:o,s:o}", "Labels", label_obj, "Env", env_array);
}

/* Decide for config with env built from the image alone and choice. */
static int decide(json_t *config, const struct gpu_choice *choice, struct gpu_request *req,
                  nvd_error **err)
{
    struct container_env env;
    char *const no_args[] = { NULL };

    assert_int_equal(container_env_build(config, no_args, 0, 0, &env, NULL), 0);
    int rc = image_gpu_request(config, &env, choice, req, err);
    container_env_clear(&env);
    return rc;
}

static const struct gpu_choice no_choice = { 0 };

#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_label_decides(void **state)
{
    (void)state;
    struct gpu_request req;
    json_t *config;

    config = make_config(LIST(IMAGE_LABEL_VOLUMES, "nvidia_driver", IMAGE_LABEL_CUDA, "8.0"), NULL);
    assert_int_equal(decide(config, &no_choice, &req, NULL), 0);
    assert_true(req.gpus);
    assert_true(req.driver_volume);
    assert_int_equal(req.source, GPU_SOURCE_LABEL);
    assert_null(req.selection);
    assert_string_equal(req.cuda_version, "8.0");
    gpu_request_clear(&req);
    json_decref(config);

    /* An unknown volume name gets devices only, as in 1.0. */
    config = make_config(LIST(IMAGE_LABEL_VOLUMES, "other"), NULL);
    assert_int_equal(decide(config, &no_choice, &req, NULL), 0);
    assert_true(req.gpus);
    assert_false(req.driver_volume);
    assert_null(req.cuda_version);
    gpu_request_clear(&req);
    json_decref(config);

    config = make_config(LIST(IMAGE_LABEL_VOLUMES, " other nvidia_driver ", IMAGE_LABEL_CUDA, " "),
                         NULL);
    assert_int_equal(decide(config, &no_choice, &req, NULL), 0);
    assert_true(req.driver_volume);
    assert_null(req.cuda_version);
    gpu_request_clear(&req);
    json_decref(config);

    /* A blank label, no Labels at all, no config: no GPU. */
    config = make_config(LIST(IMAGE_LABEL_VOLUMES, "  "), NULL);
    assert_int_equal(decide(config, &no_choice, &req, NULL), 0);
    assert_false(req.gpus);
    json_decref(config);

    config = json_pack("{s:n}", "Labels");
    assert_int_equal(decide(config, &no_choice, &req, NULL), 0);
    assert_false(req.gpus);
    json_decref(config);

    assert_int_equal(decide(NULL, &no_choice, &req, NULL), 0);
    assert_false(req.gpus);
}

/* One case of the decision: image env, labelled or not, the choice, and
 * what the container gets. */
static const struct {
    const char *name;
    bool labelled;
    const char *const *env;
    struct gpu_choice choice;
    bool gpus;
    enum gpu_source source;
    const char *selection;
} decisions[] = {
    { "plain image", false, NULL, { 0 }, false, GPU_SOURCE_NONE, NULL },
    { "modern image", false, LIST("NVIDIA_VISIBLE_DEVICES=all"), { 0 }, true, GPU_SOURCE_ENV, "all" },
    { "modern image, one GPU", false, LIST("NVIDIA_VISIBLE_DEVICES=1"), { 0 }, true,
      GPU_SOURCE_ENV, "1" },
    { "empty variable", false, LIST("NVIDIA_VISIBLE_DEVICES="), { 0 }, false, GPU_SOURCE_NONE, NULL },
    { "void", false, LIST("NVIDIA_VISIBLE_DEVICES=void"), { 0 }, false, GPU_SOURCE_NONE, NULL },
    { "void with blanks", false, LIST("NVIDIA_VISIBLE_DEVICES= void,"), { 0 }, false,
      GPU_SOURCE_NONE, NULL },
    { "none", false, LIST("NVIDIA_VISIBLE_DEVICES=none"), { 0 }, true, GPU_SOURCE_ENV, "none" },
    { "labelled, empty variable", true, LIST("NVIDIA_VISIBLE_DEVICES="), { 0 }, true,
      GPU_SOURCE_LABEL, NULL },
    { "labelled, void", true, LIST("NVIDIA_VISIBLE_DEVICES=void"), { 0 }, false,
      GPU_SOURCE_NONE, NULL },
    { "labelled, one GPU", true, LIST("NVIDIA_VISIBLE_DEVICES=1"), { 0 }, true,
      GPU_SOURCE_ENV, "1" },
    { "legacy image", false, LIST("CUDA_VERSION=8.0.61"), { 0 }, true, GPU_SOURCE_LEGACY, NULL },
    { "legacy, empty variable", false, LIST("CUDA_VERSION=8.0.61", "NVIDIA_VISIBLE_DEVICES="),
      { 0 }, false, GPU_SOURCE_NONE, NULL },
    { "CUDA_VERSION with NVIDIA_REQUIRE_CUDA", false,
      LIST("CUDA_VERSION=9.0", "NVIDIA_REQUIRE_CUDA=cuda>=9.0"), { 0 }, false, GPU_SOURCE_NONE, NULL },
    { "NV_GPU on a plain image", false, NULL, { .nv_gpu = "0" }, true, GPU_SOURCE_NV_GPU, "0" },
    { "NV_GPU over the variable", false, LIST("NVIDIA_VISIBLE_DEVICES=void"), { .nv_gpu = "1" },
      true, GPU_SOURCE_NV_GPU, "1" },
    { "NV_GPU=void", true, NULL, { .nv_gpu = "void" }, false, GPU_SOURCE_NONE, NULL },
    { "--gpus on a plain image", false, NULL, { .gpus = "0,1", .gpus_value = "2" }, true,
      GPU_SOURCE_GPUS_FLAG, "0,1" },
    { "--gpus over the variable", false, LIST("NVIDIA_VISIBLE_DEVICES=0"),
      { .gpus = "all", .gpus_value = "all" }, true, GPU_SOURCE_GPUS_FLAG, "all" },
    { "--gpus 0", true, NULL, { .gpus = "void", .gpus_value = "0" }, false, GPU_SOURCE_NONE, NULL },
    { "NV_GPU and --gpus agree", false, NULL,
      { .nv_gpu = "0, 1", .gpus = "0,1", .gpus_value = "2" }, true, GPU_SOURCE_NV_GPU, "0, 1" },
};

static void test_decision_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++) {
        json_t *config = make_config(decisions[i].labelled ? LIST(IMAGE_LABEL_VOLUMES, "nvidia_driver")
                                                           : NULL,
                                     decisions[i].env);
        struct gpu_request req;
        nvd_error *err = NULL;

        if (decide(config, &decisions[i].choice, &req, &err) < 0)
            fail_msg("%s: failed: %s", decisions[i].name, err->msg);
        if (req.gpus != decisions[i].gpus || req.source != decisions[i].source)
            fail_msg("%s: gpus %d source %d, expected gpus %d source %d", decisions[i].name,
                     req.gpus, req.source, decisions[i].gpus, decisions[i].source);
        if (decisions[i].selection)
            assert_string_equal(req.selection, decisions[i].selection);
        else
            assert_null(req.selection);
        if (req.gpus)
            assert_true(req.driver_volume);
        gpu_request_clear(&req);
        json_decref(config);
    }
}

static void test_nv_gpu_and_gpus_disagree(void **state)
{
    (void)state;
    json_t *config = make_config(NULL, NULL);
    struct gpu_choice choice = { .nv_gpu = "0", .gpus = "1", .gpus_value = "device=1" };
    struct gpu_request req;
    nvd_error *err = NULL;

    assert_int_equal(decide(config, &choice, &req, &err), -1);
    assert_string_equal(err->msg, "NV_GPU=0 and --gpus device=1 choose different GPUs: give "
                                  "only one of them");
    nvd_error_free(err);
    json_decref(config);
}

static void test_selection_garbage(void **state)
{
    (void)state;
    json_t *config = make_config(NULL, LIST("NVIDIA_VISIBLE_DEVICES=0\n1"));
    struct gpu_request req;
    nvd_error *err = NULL;

    assert_int_equal(decide(config, &no_choice, &req, &err), -1);
    assert_string_equal(err->msg, "invalid NVIDIA_VISIBLE_DEVICES: it contains the control "
                                  "character 0x0a; separate GPUs with commas, as in 0,1");
    nvd_error_free(err);
    json_decref(config);

    char *huge = malloc(10001);
    memset(huge, '1', 10000);
    huge[10000] = '\0';
    struct gpu_choice choice = { .nv_gpu = huge };
    config = make_config(NULL, NULL);
    err = NULL;
    assert_int_equal(decide(config, &choice, &req, &err), -1);
    assert_string_equal(err->msg, "NV_GPU is 10000 characters long, more than the 8192 a GPU "
                                  "selection may have: list fewer GPUs, or use all");
    nvd_error_free(err);
    json_decref(config);
    free(huge);
}

/* Decide for an image with env, check that it gets GPUs and that its
 * requirements are the NULL-terminated name, expression pairs of want. */
static void expect_requirements(const char *const *env, const char *const *want)
{
    json_t *config = make_config(NULL, env);
    struct gpu_choice choice = { .nv_gpu = "all" };
    struct gpu_request req;
    nvd_error *err = NULL;
    size_t n = 0;

    if (decide(config, &choice, &req, &err) < 0)
        fail_msg("failed: %s", err->msg);
    assert_true(req.gpus);
    for (; want[2 * n]; n++) {
        assert_true(n < req.requirement_count);
        assert_string_equal(req.requirements[n].name, want[2 * n]);
        assert_string_equal(req.requirements[n].expr, want[2 * n + 1]);
    }
    assert_int_equal(req.requirement_count, n);
    gpu_request_clear(&req);
    json_decref(config);
}

static void test_requirements_collected(void **state)
{
    (void)state;
    expect_requirements(LIST("PATH=/bin", "NVIDIA_REQUIRE_CUDA=cuda>=8.0",
                             "NVIDIA_REQUIRE_ARCH=arch>=3.5", "NVIDIA_REQUIRE_JETPACK=csv-mounts=all"),
                        LIST("NVIDIA_REQUIRE_CUDA", "cuda>=8.0", "NVIDIA_REQUIRE_ARCH", "arch>=3.5"));
    expect_requirements(LIST("CUDA_VERSION=8.0.61"), LIST("CUDA_VERSION=8.0.61", "cuda>=8.0"));
    expect_requirements(LIST("CUDA_VERSION=11"), LIST("CUDA_VERSION=11", "cuda>=11"));
    expect_requirements(LIST("CUDA_VERSION=8.0", "NVIDIA_REQUIRE_CUDA=cuda>=7.5"),
                        LIST("NVIDIA_REQUIRE_CUDA", "cuda>=7.5"));
    expect_requirements(LIST("NVIDIA_REQUIRE_CUDA=cuda>=99", "NVIDIA_DISABLE_REQUIRE=true"),
                        LIST(NULL));
    expect_requirements(LIST("NVIDIA_REQUIRE_CUDA=cuda>=99", "NVIDIA_DISABLE_REQUIRE=1"),
                        LIST(NULL));
    expect_requirements(LIST("NVIDIA_REQUIRE_CUDA=cuda>=99", "NVIDIA_DISABLE_REQUIRE=false"),
                        LIST("NVIDIA_REQUIRE_CUDA", "cuda>=99"));
    expect_requirements(LIST("CUDA_VERSION=8.0", "NVIDIA_DISABLE_REQUIRE=True"), LIST(NULL));
}

static void test_requirements_malformed_env(void **state)
{
    (void)state;
    static const struct {
        const char *var;
        const char *message;
    } cases[] = {
        { "NVIDIA_DISABLE_REQUIRE=yes",
          "invalid NVIDIA_DISABLE_REQUIRE=\"yes\": expected true or false (or 1 or 0)" },
        { "CUDA_VERSION=eight", "invalid CUDA_VERSION=\"eight\": expected a version such as 8.0" },
        { "CUDA_VERSION=8.", "invalid CUDA_VERSION=\"8.\"" },
        { "CUDA_VERSION=8.0rc", "invalid CUDA_VERSION=\"8.0rc\"" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *config = make_config(NULL, LIST(cases[i].var));
        struct gpu_choice choice = { .nv_gpu = "all" };
        struct gpu_request req;
        nvd_error *err = NULL;

        assert_int_equal(decide(config, &choice, &req, &err), -1);
        if (!strstr(err->msg, cases[i].message))
            fail_msg("%s: got \"%s\"", cases[i].var, err->msg);
        nvd_error_free(err);
        json_decref(config);
    }
}

/* A /gpu/info/json reply of k80x2, shortened to what the checks read, and
 * with a second GPU of another brand and compute capability. */
static const char info_text[] =
    "{\"Version\":{\"Driver\":\"375.66\",\"CUDA\":\"8.0\"},\"Devices\":["
    "{\"UUID\":\"GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac\",\"Path\":\"/dev/nvidia0\","
    "\"Model\":\"Tesla K80\",\"Arch\":\"3.7\",\"Brand\":\"Tesla\"},"
    "{\"UUID\":\"GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d\",\"Path\":\"/dev/nvidia1\","
    "\"Model\":\"GeForce GTX 1080\",\"Arch\":\"6.1\",\"Brand\":\"GeForce\"}]}";

/* Check requirement expr (as NVIDIA_REQUIRE_X) with devices; message is
 * NULL when it must hold, else the exact error. */
static void check_requirement(const char *expr, const char *const *devices, size_t device_count,
                         const char *message)
{
    json_t *info = json_loads(info_text, 0, NULL);
    struct image_requirement r = { .name = (char *)"NVIDIA_REQUIRE_X", .expr = (char *)expr };
    struct gpu_request req = { .gpus = true, .requirement_count = 1, .requirements = &r };
    nvd_error *err = NULL;
    int rc = image_check_requirements(&req, info, (char *const *)devices, device_count, &err);

    if (!message && rc < 0)
        fail_msg("\"%s\" failed: %s", expr, err->msg);
    if (message) {
        if (rc == 0)
            fail_msg("\"%s\" did not fail", expr);
        assert_string_equal(err->msg, message);
        nvd_error_free(err);
    }
    json_decref(info);
}

static void test_requirement_checks(void **state)
{
    (void)state;
    const char *const both[] = { "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidia1" };
    const char *const second[] = { "/dev/nvidiactl", "/root/dev/nvidia1:/dev/nvidia1" };
    const char *const none[] = { "/dev/nvidiactl", "/dev/nvidia-uvm" };

    check_requirement("cuda>=8.0", both, 4, NULL);
    check_requirement("cuda>=12.2", both, 4,
                 "requirement \"cuda>=12.2\" of NVIDIA_REQUIRE_X is not met: the driver supports "
                 "CUDA 8.0; upgrade the driver or use an image made for an older CUDA, or add -e "
                 "NVIDIA_DISABLE_REQUIRE=true to skip the check");
    check_requirement("driver>=400", none, 2,
                 "requirement \"driver>=400\" of NVIDIA_REQUIRE_X is not met: the driver is "
                 "version 375.66; add -e NVIDIA_DISABLE_REQUIRE=true to skip the check");
    /* Arch and brand are checked on each chosen GPU. */
    check_requirement("arch>=3.5", both, 4, NULL);
    check_requirement("arch>=5.0", second, 2, NULL);
    check_requirement("arch>=5.0", both, 4,
                 "requirement \"arch>=5.0\" of NVIDIA_REQUIRE_X is not met: GPU 0 (Tesla K80) has "
                 "compute capability 3.7; add -e NVIDIA_DISABLE_REQUIRE=true to skip the check");
    check_requirement("brand=tesla", both, 4,
                 "requirement \"brand=tesla\" of NVIDIA_REQUIRE_X is not met: GPU 1 (GeForce GTX "
                 "1080) is of brand GeForce; add -e NVIDIA_DISABLE_REQUIRE=true to skip the check");
    check_requirement("brand=tesla,cuda>=9.0 brand=geforce", both, 4,
                 "requirement \"brand=tesla,cuda>=9.0 brand=geforce\" of NVIDIA_REQUIRE_X is not "
                 "met: the driver supports CUDA 8.0, GPU 0 (Tesla K80) is of brand Tesla; "
                 "upgrade the driver or use an image made for an older CUDA, or add -e "
                 "NVIDIA_DISABLE_REQUIRE=true to skip the check");
    /* Without a chosen GPU (none), arch and brand are unknown and hold. */
    check_requirement("brand=quadro,arch>=9.0", none, 2, NULL);
    check_requirement("cuda>=8.0 cuda>>9", both, 4,
                 "invalid requirement \"cuda>>9\": \">9\" is not a version such as 8.0, in "
                 "NVIDIA_REQUIRE_X: correct it with -e NVIDIA_REQUIRE_X=..., or add -e "
                 "NVIDIA_DISABLE_REQUIRE=true to skip the checks");
}

static void test_label_checked_with_info(void **state)
{
    (void)state;
    json_t *info = json_loads(info_text, 0, NULL);
    struct gpu_request req = { .gpus = true, .cuda_version = "9.0" };
    nvd_error *err = NULL;

    assert_int_equal(image_check_requirements(&req, info, NULL, 0, &err), -1);
    assert_string_equal(err->msg, "unsupported CUDA version: driver 8.0 < image 9.0");
    nvd_error_free(err);

    req.cuda_version = "7.5";
    assert_int_equal(image_check_requirements(&req, info, NULL, 0, NULL), 0);
    json_decref(info);

    err = NULL;
    info = json_pack("{s:{},s:[]}", "Version", "Devices");
    assert_int_equal(image_check_requirements(&req, info, NULL, 0, &err), -1);
    assert_non_null(strstr(err->msg, "has no Version.CUDA string"));
    nvd_error_free(err);
    json_decref(info);
}

static void test_selection_error_explained(void **state)
{
    (void)state;
    json_t *info = json_loads(info_text, 0, NULL);
    struct gpu_request req = { .gpus = true, .source = GPU_SOURCE_ENV, .selection = (char *)"9" };
    nvd_error *err = NULL;

    nvd_error_set(&err, NVD_ERR_INVALID, "invalid device: 9");
    image_explain_selection_error(&req, NULL, info, &err);
    assert_string_equal(err->msg, "NVIDIA_VISIBLE_DEVICES=9: invalid device: 9; valid devices "
                                  "are 0 (GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac), 1 "
                                  "(GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d), all, none and void");
    nvd_error_free(err);

    err = NULL;
    req.source = GPU_SOURCE_GPUS_FLAG;
    nvd_error_set(&err, NVD_ERR_INVALID, "invalid device: 9");
    image_explain_selection_error(&req, "device=9", info, &err);
    assert_non_null(strstr(err->msg, "--gpus device=9: invalid device: 9; valid devices are 0 ("));
    nvd_error_free(err);

    /* Other errors stay as they are. */
    err = NULL;
    nvd_error_set(&err, NVD_ERR_INVALID, "GET /docker/cli/json failed: HTTP 500");
    image_explain_selection_error(&req, "device=9", info, &err);
    assert_string_equal(err->msg, "GET /docker/cli/json failed: HTTP 500");
    nvd_error_free(err);
    json_decref(info);
}

static void test_cuda_check(void **state)
{
    (void)state;
    nvd_error *err = NULL;

    assert_int_equal(image_check_cuda("8.0", "8.0", NULL), 0);
    assert_int_equal(image_check_cuda("8.0", "7.5", NULL), 0);
    assert_int_equal(image_check_cuda("12.4", "9.2", NULL), 0);
    assert_int_equal(image_check_cuda("10.0.130", "10.0", NULL), 0);
    assert_int_equal(image_check_cuda("8.0", "8.0-rc", NULL), 0);

    assert_int_equal(image_check_cuda("7.0", "7.5", &err), -1);
    assert_string_equal(err->msg, "unsupported CUDA version: driver 7.0 < image 7.5");
    nvd_error_free(err);
    err = NULL;
    assert_int_equal(image_check_cuda("9.2", "10.0", &err), -1);
    nvd_error_free(err);
    err = NULL;

    static const char *const bad[] = { "8", "x.y", "8.", ".5", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(image_check_cuda("8.0", bad[i], &err), -1);
        assert_non_null(strstr(err->msg, IMAGE_LABEL_CUDA));
        nvd_error_free(err);
        err = NULL;
        assert_int_equal(image_check_cuda(bad[i], "8.0", &err), -1);
        assert_non_null(strstr(err->msg, "plugin"));
        nvd_error_free(err);
        err = NULL;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_decides),
        cmocka_unit_test(test_decision_table),
        cmocka_unit_test(test_nv_gpu_and_gpus_disagree),
        cmocka_unit_test(test_selection_garbage),
        cmocka_unit_test(test_requirements_collected),
        cmocka_unit_test(test_requirements_malformed_env),
        cmocka_unit_test(test_requirement_checks),
        cmocka_unit_test(test_label_checked_with_info),
        cmocka_unit_test(test_selection_error_explained),
        cmocka_unit_test(test_cuda_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
