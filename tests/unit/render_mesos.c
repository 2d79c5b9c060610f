/*
 * Unit tests for /mesos/cli: the attribute decodes (base64url, then zlib)
 * to the exact /gpu/info/json body, the encoding has no padding, and the
 * resources list every GPU's UUID in braces, with no newline at the end.
 */
#include "golden.h"
#include "mesos_decode.h"

static void mesos_cli_k80x2(void **state)
{
    struct nvd_host host = k80x2_host();
    char *reply = nvd_render_mesos_cli(&host);
    char *info = nvd_render_gpu_info_json(&host);

    assert_non_null(reply);
    struct mesos_reply parsed = parse_mesos(reply);
    assert_string_equal(parsed.json, info);
    assert_string_equal(parsed.resources,
        "{GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac,GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d}");
    /* No newline at the end, and base64url without '=' (parse_mesos rejects it). */
    assert_null(strchr(reply, '\n'));
    assert_int_equal(reply[strlen(reply) - 1], '}');
    free_mesos(&parsed);
    free(info);
    free(reply);
}

static void mesos_cli_zero_gpus(void **state)
{
    struct nvd_host host = {.driver_version = "550.54.15", .cuda_version = "12.4"};
    char *reply = nvd_render_mesos_cli(&host);

    struct mesos_reply parsed = parse_mesos(reply);
    assert_string_equal(parsed.json, "{\"Version\":{\"Driver\":\"550.54.15\",\"CUDA\":\"12.4\"},\"Devices\":[]}\n");
    assert_string_equal(parsed.resources, "{}");
    free_mesos(&parsed);
    free(reply);
}

static void mesos_cli_every_remainder(void **state)
{
    /* Versions of growing length give every length of the last base64 group. */
    bool seen[4] = {false, false, false, false};
    char version[NVD_VERSION_MAX] = "";

    for (size_t n = 1; n < 40; n++) {
        struct nvd_gpu gpu = unknown_gpu();
        struct nvd_host host = {.cuda_version = "8.0", .gpu_count = 1, .gpus = &gpu};
        strcat(version, n % 2 ? "7" : ".");
        snprintf(host.driver_version, sizeof(host.driver_version), "%s", version);

        char *reply = nvd_render_mesos_cli(&host);
        char *info = nvd_render_gpu_info_json(&host);
        struct mesos_reply parsed = parse_mesos(reply);
        assert_string_equal(parsed.json, info);
        assert_string_equal(parsed.resources, "{GPU-00000000-0000-0000-0000-000000000000}");
        seen[parsed.encoded_len % 4] = true;
        free_mesos(&parsed);
        free(info);
        free(reply);
    }
    assert_true(seen[0]);
    assert_true(seen[2]);
    assert_true(seen[3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mesos_cli_k80x2),
        cmocka_unit_test(mesos_cli_zero_gpus),
        cmocka_unit_test(mesos_cli_every_remainder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
