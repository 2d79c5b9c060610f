/* Unit tests for the driver volume's name grammar and 1.0's error texts. */
#include "test_util.h"

#include "util.h"

static void expect_version(const char *name, const char *want)
{
    char version[64];
    nvd_error *err = NULL;

    if (nvd_volume_parse(name, version, sizeof(version), &err) < 0)
        fail_msg("parse '%s' failed: %s", name, err->msg);
    assert_string_equal(version, want);
}

static void expect_error(const char *name, const char *want)
{
    char version[64];
    nvd_error *err = NULL;

    assert_int_equal(nvd_volume_parse(name, version, sizeof(version), &err), -1);
    assert_int_equal(err->kind, NVD_ERR_INVALID);
    assert_string_equal(err->msg, want);
    nvd_error_free(err);
}

static void volume_name_accepts_driver_versions(void **state)
{
    expect_version("nvidia_driver_375.66", "375.66");
    expect_version("nvidia_driver_550.54.15", "550.54.15");
    expect_version("nvidia_driver_418", "418");
}

static void volume_name_rejects_bad_format(void **state)
{
    expect_error("foo", "bad volume format: foo");
    expect_error("nvidia_driver", "bad volume format: nvidia_driver");
    expect_error("nvidia_driver_", "bad volume format: nvidia_driver_");
    expect_error("nvidia_driver_.", "bad volume format: nvidia_driver_.");
    expect_error("nvidia_driver_..", "bad volume format: nvidia_driver_..");
    expect_error("nvidia_driver_1..2", "bad volume format: nvidia_driver_1..2");
    expect_error("nvidia_driver_.375", "bad volume format: nvidia_driver_.375");
    expect_error("nvidia_driver_375.", "bad volume format: nvidia_driver_375.");
    expect_error("nvidia_driver_375/66", "bad volume format: nvidia_driver_375/66");
    expect_error("../x_1.0", "bad volume format: ../x_1.0");
    expect_error("_1.0", "bad volume format: _1.0");
    expect_error("3f2a8c1d9e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
                 "bad volume format: 3f2a8c1d9e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c");
}

static void volume_name_rejects_other_bases(void **state)
{
    expect_error("nvidia_docker_1.0", "unsupported volume: nvidia_docker_1.0");
    expect_error("nvidia.driver_1.0", "unsupported volume: nvidia.driver_1.0");
    expect_error("xnvidia_driver_1.0", "unsupported volume: xnvidia_driver_1.0");
}

static void volume_path_layout(void **state)
{
    cleanup_free char *path = nvd_volume_path("/var/lib/nvidia-docker/volumes", "375.66");
    assert_string_equal(path, "/var/lib/nvidia-docker/volumes/nvidia_driver/375.66");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(volume_name_accepts_driver_versions),
        cmocka_unit_test(volume_name_rejects_bad_format),
        cmocka_unit_test(volume_name_rejects_other_bases),
        cmocka_unit_test(volume_path_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
