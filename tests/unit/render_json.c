/*
 * Unit tests for the JSON and docker-cli renderers: Go's string escaping
 * and 1.0's exact bytes for two Tesla K80s (driver 375.66).
 */
#include "test_util.h"

#include "util.h"

/* 1.0's /docker/cli reply for two K80s under dev root "/": no final newline. */
static const char k80x2_docker_cli_text[] =
    "--volume-driver=nvidia-docker --volume=nvidia_driver_375.66:/usr/local/nvidia:ro "
    "--device=/dev/nvidiactl --device=/dev/nvidia-uvm --device=/dev/nvidia-uvm-tools "
    "--device=/dev/nvidia0 --device=/dev/nvidia1";

/* 1.0's /docker/cli/json reply for the same host. */
static const char k80x2_docker_cli_json[] =
    "{\"VolumeDriver\":\"nvidia-docker\",\"Volumes\":[\"nvidia_driver_375.66:/usr/local/nvidia:ro\"],"
    "\"Devices\":[\"/dev/nvidiactl\",\"/dev/nvidia-uvm\",\"/dev/nvidia-uvm-tools\","
    "\"/dev/nvidia0\",\"/dev/nvidia1\"]}\n";

static char *k80x2_devices[] = {
    (char[]){"/dev/nvidiactl"}, (char[]){"/dev/nvidia-uvm"}, (char[]){"/dev/nvidia-uvm-tools"},
    (char[]){"/dev/nvidia0"}, (char[]){"/dev/nvidia1"},
};
static char *k80x2_volumes[] = {(char[]){"nvidia_driver_375.66"}};

/* Build the docker arguments of the two-K80 host for dev_root. */
static struct nvd_docker_args k80x2_args(char *dev_root)
{
    struct nvd_docker_args args = {
        .device_count = 5,
        .devices = k80x2_devices,
        .volume_count = 1,
        .volumes = k80x2_volumes,
        .dev_root = dev_root,
    };
    return args;
}

/* Check that nvd_json_quote turns input into want. */
static void expect_quote(const char *input, const char *want)
{
    char *got = nvd_json_quote(input);
    assert_string_equal(got, want);
    free(got);
}

static void quote_plain_ascii(void **state)
{
    expect_quote("", "\"\"");
    expect_quote("Tesla K80", "\"Tesla K80\"");
    expect_quote("/dev/nvidia0:/x'y", "\"/dev/nvidia0:/x'y\"");
    expect_quote("\x7f", "\"\x7f\"");
}

static void quote_short_escapes(void **state)
{
    expect_quote("a\"b", "\"a\\\"b\"");
    expect_quote("a\\b", "\"a\\\\b\"");
    expect_quote("\n\r\t", "\"\\n\\r\\t\"");
}

static void quote_control_characters(void **state)
{
    expect_quote("\x01", "\"\\u0001\"");
    expect_quote("\x1f", "\"\\u001f\"");
    expect_quote("\b\f", "\"\\u0008\\u000c\"");
    expect_quote("\x0b", "\"\\u000b\"");
}

static void quote_html_characters(void **state)
{
    expect_quote("<a href=\"x\">&</a>",
                 "\"\\u003ca href=\\\"x\\\"\\u003e\\u0026\\u003c/a\\u003e\"");
}

static void quote_line_separators(void **state)
{
    expect_quote("a\xe2\x80\xa8" "b", "\"a\\u2028b\"");
    expect_quote("a\xe2\x80\xa9" "b", "\"a\\u2029b\"");
    /* U+2027 and U+202A are plain text. */
    expect_quote("\xe2\x80\xa7\xe2\x80\xaa", "\"\xe2\x80\xa7\xe2\x80\xaa\"");
}

static void quote_valid_utf8(void **state)
{
    expect_quote("\xc2\xb0" "C", "\"\xc2\xb0" "C\"");
    expect_quote("\xe2\x82\xac", "\"\xe2\x82\xac\"");
    expect_quote("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
    expect_quote("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");
    expect_quote("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");
}

static void quote_invalid_utf8(void **state)
{
    /* Each byte that starts no valid sequence becomes one U+FFFD. */
    expect_quote("\xff", "\"\\ufffd\"");
    expect_quote("a\x80z", "\"a\\ufffdz\"");
    expect_quote("\xc0\xaf", "\"\\ufffd\\ufffd\"");                 /* overlong "/" */
    expect_quote("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");      /* overlong */
    expect_quote("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");      /* surrogate */
    expect_quote("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    expect_quote("\xe2\x82", "\"\\ufffd\\ufffd\"");                 /* truncated */
    expect_quote("\xe2\x82x", "\"\\ufffd\\ufffdx\"");
}

static void docker_cli_text_golden(void **state)
{
    struct nvd_docker_args args = k80x2_args((char[]){"/"});
    char *text = nvd_render_docker_cli_text(&args);

    assert_non_null(text);
    assert_string_equal(text, k80x2_docker_cli_text);
    free(text);
}

static void docker_cli_json_golden(void **state)
{
    struct nvd_docker_args args = k80x2_args((char[]){"/"});
    char *json = nvd_render_docker_cli_json(&args);

    assert_non_null(json);
    assert_string_equal(json, k80x2_docker_cli_json);
    free(json);
}

static void docker_cli_with_dev_root(void **state)
{
    struct nvd_docker_args args = k80x2_args((char[]){"/run/nvidia/driver"});
    args.device_count = 2;
    char *text = nvd_render_docker_cli_text(&args);
    char *json = nvd_render_docker_cli_json(&args);

    assert_string_equal(text,
        "--volume-driver=nvidia-docker --volume=nvidia_driver_375.66:/usr/local/nvidia:ro "
        "--device=/run/nvidia/driver/dev/nvidiactl:/dev/nvidiactl "
        "--device=/run/nvidia/driver/dev/nvidia-uvm:/dev/nvidia-uvm");
    assert_string_equal(json,
        "{\"VolumeDriver\":\"nvidia-docker\",\"Volumes\":[\"nvidia_driver_375.66:/usr/local/nvidia:ro\"],"
        "\"Devices\":[\"/run/nvidia/driver/dev/nvidiactl:/dev/nvidiactl\","
        "\"/run/nvidia/driver/dev/nvidia-uvm:/dev/nvidia-uvm\"]}\n");
    free(text);
    free(json);
}

static void docker_cli_empty_arrays(void **state)
{
    struct nvd_docker_args args = {.dev_root = (char[]){"/"}};
    char *text = nvd_render_docker_cli_text(&args);
    char *json = nvd_render_docker_cli_json(&args);

    assert_string_equal(text, "--volume-driver=nvidia-docker");
    assert_string_equal(json, "{\"VolumeDriver\":\"nvidia-docker\",\"Volumes\":[],\"Devices\":[]}\n");
    free(text);
    free(json);
}

static void gpu_info_json_skeleton(void **state)
{
    struct nvd_gpu gpus[] = {
        {.index = 0, .minor = 1, .uuid = "GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac",
         .busid = "0000:05:00.0", .name = "Tesla K80"},
        {.index = 1, .minor = 0, .uuid = "GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d",
         .busid = "0000:06:00.0", .name = ""},
    };
    struct nvd_host host = {
        .driver_version = "375.66", .cuda_version = "8.0", .gpu_count = 2, .gpus = gpus,
    };
    char *json = nvd_render_gpu_info_json(&host);

    assert_string_equal(json,
        "{\"Version\":{\"Driver\":\"375.66\",\"CUDA\":\"8.0\"},\"Devices\":["
        "{\"UUID\":\"GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac\",\"Path\":\"/dev/nvidia1\","
        "\"Model\":\"Tesla K80\",\"Power\":null,\"CPUAffinity\":0,"
        "\"PCI\":{\"BusID\":\"0000:05:00.0\",\"BAR1\":null,\"Bandwidth\":null},"
        "\"Clocks\":{\"Cores\":null,\"Memory\":null},\"Topology\":null,\"Family\":null,"
        "\"Arch\":null,\"Cores\":null,\"Memory\":{\"ECC\":null,\"Global\":null,\"Shared\":null,"
        "\"Constant\":null,\"L2Cache\":null,\"Bandwidth\":null}},"
        "{\"UUID\":\"GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d\",\"Path\":\"/dev/nvidia0\","
        "\"Model\":null,\"Power\":null,\"CPUAffinity\":0,"
        "\"PCI\":{\"BusID\":\"0000:06:00.0\",\"BAR1\":null,\"Bandwidth\":null},"
        "\"Clocks\":{\"Cores\":null,\"Memory\":null},\"Topology\":null,\"Family\":null,"
        "\"Arch\":null,\"Cores\":null,\"Memory\":{\"ECC\":null,\"Global\":null,\"Shared\":null,"
        "\"Constant\":null,\"L2Cache\":null,\"Bandwidth\":null}}]}\n");
    free(json);
}

static void gpu_info_json_no_gpus(void **state)
{
    struct nvd_host host = {.driver_version = "375.66"};
    char *json = nvd_render_gpu_info_json(&host);

    assert_string_equal(json, "{\"Version\":{\"Driver\":\"375.66\",\"CUDA\":null},\"Devices\":[]}\n");
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quote_plain_ascii),
        cmocka_unit_test(quote_short_escapes),
        cmocka_unit_test(quote_control_characters),
        cmocka_unit_test(quote_html_characters),
        cmocka_unit_test(quote_line_separators),
        cmocka_unit_test(quote_valid_utf8),
        cmocka_unit_test(quote_invalid_utf8),
        cmocka_unit_test(docker_cli_text_golden),
        cmocka_unit_test(docker_cli_json_golden),
        cmocka_unit_test(docker_cli_with_dev_root),
        cmocka_unit_test(docker_cli_empty_arrays),
        cmocka_unit_test(gpu_info_json_skeleton),
        cmocka_unit_test(gpu_info_json_no_gpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
