/*
 * Unit tests for the JSON and docker-cli renderers: Go's string escaping,
 * 1.0's exact bytes for two Tesla K80s (driver 375.66), unknown values,
 * and zero GPUs.
 */
#include "golden.h"

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

    char *want = golden_read(GOLDEN_1_0_DIR "/docker-cli.txt");

    assert_non_null(text);
    assert_string_equal(text, want);
    free(want);
    free(text);
}

static void docker_cli_json_golden(void **state)
{
    struct nvd_docker_args args = k80x2_args((char[]){"/"});
    char *json = nvd_render_docker_cli_json(&args);

    char *want = golden_read(GOLDEN_1_0_DIR "/docker-cli.json");

    assert_non_null(json);
    assert_string_equal(json, want);
    free(want);
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

/* Check that text equals want, showing both when they differ. */
static void expect_text(const char *what, const char *text, const char *want)
{
    if (strcmp(text, want) != 0)
        fail_msg("%s differs:\n--- got\n%s--- want\n%s", what, text, want);
}

static void gpu_info_json_golden(void **state)
{
    struct nvd_host host = k80x2_host();
    char *json = nvd_render_gpu_info_json(&host);
    char *golden = golden_read(GOLDEN_1_0_DIR "/gpu-info.json");
    char *want = json_extend_devices(golden, ",\"Brand\":\"Tesla\"");

    /* 1.0's bytes, with nvd's Brand after the last key of each device. */
    expect_text("/gpu/info/json", json, want);
    assert_int_equal(strlen(want), strlen(golden) + 2 * strlen(",\"Brand\":\"Tesla\""));
    free(want);
    free(golden);
    free(json);
}

static void gpu_status_json_golden(void **state)
{
    struct nvd_host host = k80x2_host();
    char *json = nvd_render_gpu_status_json(&host, k80x2_status());
    char *want = golden_read(GOLDEN_1_0_DIR "/gpu-status.json");

    expect_text("/gpu/status/json", json, want);
    free(want);
    free(json);
}

static void gpu_info_json_all_unknown(void **state)
{
    struct nvd_gpu gpu = unknown_gpu();
    struct nvd_host host = {.driver_version = "375.66", .cuda_version = "", .gpu_count = 1, .gpus = &gpu};
    char *json = nvd_render_gpu_info_json(&host);

    assert_string_equal(json,
        "{\"Version\":{\"Driver\":\"375.66\",\"CUDA\":null},\"Devices\":["
        "{\"UUID\":\"GPU-00000000-0000-0000-0000-000000000000\",\"Path\":\"/dev/nvidia0\","
        "\"Model\":null,\"Power\":null,\"CPUAffinity\":null,"
        "\"PCI\":{\"BusID\":\"0000:01:00.0\",\"BAR1\":null,\"Bandwidth\":null},"
        "\"Clocks\":{\"Cores\":null,\"Memory\":null},\"Topology\":null,\"Family\":null,"
        "\"Arch\":null,\"Cores\":null,\"Memory\":{\"ECC\":null,\"Global\":null,\"Shared\":null,"
        "\"Constant\":null,\"L2Cache\":null,\"Bandwidth\":null},\"Brand\":null}]}\n");
    free(json);
}

static void gpu_info_json_zero_values(void **state)
{
    struct nvd_gpu gpu = unknown_gpu();
    gpu.power_w = 0;
    gpu.cpu_affinity = 0;
    gpu.ecc = 0;
    gpu.memory_mib = 0;
    struct nvd_host host = {.driver_version = "375.66", .cuda_version = "8.0", .gpu_count = 1, .gpus = &gpu};
    char *json = nvd_render_gpu_info_json(&host);

    /* A known zero is 0 and a disabled ECC false, never null. */
    assert_non_null(strstr(json, "\"Power\":0,\"CPUAffinity\":0,"));
    assert_non_null(strstr(json, "\"Memory\":{\"ECC\":false,\"Global\":0,"));
    free(json);
}

static void gpu_info_json_escapes_strings(void **state)
{
    struct nvd_peer peer = {"<bus>", NVD_P2P_UNKNOWN};
    struct nvd_gpu gpu = unknown_gpu();
    snprintf(gpu.name, sizeof(gpu.name), "<Tesla> & \"K80\"");
    snprintf(gpu.brand, sizeof(gpu.brand), "A&B");
    snprintf(gpu.family, sizeof(gpu.family), "<f>");
    gpu.peers = &peer;
    gpu.peer_count = 1;
    struct nvd_host host = {.driver_version = "1<2", .cuda_version = "8.0", .gpu_count = 1, .gpus = &gpu};
    char *json = nvd_render_gpu_info_json(&host);

    assert_non_null(strstr(json, "{\"Driver\":\"1\\u003c2\","));
    assert_non_null(strstr(json, "\"Model\":\"\\u003cTesla\\u003e \\u0026 \\\"K80\\\"\","));
    assert_non_null(strstr(json, "\"Topology\":[{\"BusID\":\"\\u003cbus\\u003e\",\"Link\":0}]"));
    assert_non_null(strstr(json, "\"Family\":\"\\u003cf\\u003e\","));
    assert_non_null(strstr(json, "\"Brand\":\"A\\u0026B\"}]}\n"));
    free(json);
}

static void gpu_info_json_topology_links(void **state)
{
    struct nvd_peer peers[] = {
        {"0000:01:00.0", NVD_P2P_SAME_BOARD},
        {"0000:02:00.0", NVD_P2P_SINGLE_SWITCH},
        {"0000:03:00.0", NVD_P2P_MULTIPLE_SWITCHES},
        {"0000:04:00.0", NVD_P2P_HOST_BRIDGE},
        {"0000:05:00.0", NVD_P2P_SAME_CPU},
        {"0000:06:00.0", NVD_P2P_CROSS_CPU},
        {"0000:07:00.0", NVD_P2P_UNKNOWN},
    };
    struct nvd_gpu gpu = unknown_gpu();
    gpu.peers = peers;
    gpu.peer_count = sizeof(peers) / sizeof(peers[0]);
    struct nvd_host host = {.driver_version = "375.66", .cuda_version = "8.0", .gpu_count = 1, .gpus = &gpu};
    char *json = nvd_render_gpu_info_json(&host);

    assert_non_null(strstr(json,
        "\"Topology\":[{\"BusID\":\"0000:01:00.0\",\"Link\":6},{\"BusID\":\"0000:02:00.0\",\"Link\":5},"
        "{\"BusID\":\"0000:03:00.0\",\"Link\":4},{\"BusID\":\"0000:04:00.0\",\"Link\":3},"
        "{\"BusID\":\"0000:05:00.0\",\"Link\":2},{\"BusID\":\"0000:06:00.0\",\"Link\":1},"
        "{\"BusID\":\"0000:07:00.0\",\"Link\":0}],\"Family\":null,"));
    free(json);
}

static void gpu_info_json_no_gpus(void **state)
{
    struct nvd_host host = {.driver_version = "375.66"};
    char *json = nvd_render_gpu_info_json(&host);

    assert_string_equal(json, "{\"Version\":{\"Driver\":\"375.66\",\"CUDA\":null},\"Devices\":[]}\n");
    free(json);
}

static void gpu_status_json_all_unknown(void **state)
{
    struct nvd_gpu gpu = unknown_gpu();
    struct nvd_gpu_status st = unknown_status();
    struct nvd_host host = {.driver_version = "375.66", .gpu_count = 1, .gpus = &gpu};
    char *json = nvd_render_gpu_status_json(&host, &st);

    assert_string_equal(json,
        "{\"Devices\":[{\"Power\":null,\"Temperature\":null,"
        "\"Utilization\":{\"GPU\":null,\"Memory\":null,\"Encoder\":null,\"Decoder\":null},"
        "\"Memory\":{\"GlobalUsed\":null,\"ECCErrors\":{\"L1Cache\":null,\"L2Cache\":null,\"Global\":null}},"
        "\"Clocks\":{\"Cores\":null,\"Memory\":null},"
        "\"PCI\":{\"BAR1Used\":null,\"Throughput\":{\"RX\":null,\"TX\":null}},"
        "\"Processes\":null}]}\n");
    free(json);
}

static void gpu_status_json_processes(void **state)
{
    struct nvd_process processes[] = {
        {1, "a", NVD_UNKNOWN},
        {4294967295u, "<x> & y", 0},
        {3, "", 7},
    };
    struct nvd_gpu gpu = unknown_gpu();
    struct nvd_gpu_status st = unknown_status();
    st.processes = processes;
    st.process_count = 3;
    struct nvd_host host = {.driver_version = "375.66", .gpu_count = 1, .gpus = &gpu};
    char *json = nvd_render_gpu_status_json(&host, &st);

    assert_non_null(strstr(json,
        "\"Processes\":[{\"PID\":1,\"Name\":\"a\",\"MemoryUsed\":null},"
        "{\"PID\":4294967295,\"Name\":\"\\u003cx\\u003e \\u0026 y\",\"MemoryUsed\":0},"
        "{\"PID\":3,\"Name\":\"\",\"MemoryUsed\":7}]}]}\n"));
    free(json);
}

static void gpu_status_json_no_gpus(void **state)
{
    struct nvd_host host = {.driver_version = "375.66"};
    char *json = nvd_render_gpu_status_json(&host, NULL);

    assert_string_equal(json, "{\"Devices\":[]}\n");
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
        cmocka_unit_test(gpu_info_json_golden),
        cmocka_unit_test(gpu_status_json_golden),
        cmocka_unit_test(gpu_info_json_all_unknown),
        cmocka_unit_test(gpu_info_json_zero_values),
        cmocka_unit_test(gpu_info_json_escapes_strings),
        cmocka_unit_test(gpu_info_json_topology_links),
        cmocka_unit_test(gpu_info_json_no_gpus),
        cmocka_unit_test(gpu_status_json_all_unknown),
        cmocka_unit_test(gpu_status_json_processes),
        cmocka_unit_test(gpu_status_json_no_gpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
