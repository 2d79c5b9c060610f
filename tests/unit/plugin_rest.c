/*
 * Unit tests for the REST API handlers, called without an HTTP server on a
 * driver root made by nvd-sim (k80x2: two Tesla K80, driver 375.66).
 */
#include "test_util.h"

#include "plugin.h"
#include "util.h"
#include "flags.h"
#include "query.h"

static struct plugin_options options;
static struct plugin plugin;
static char *tmpdir;
static char *driver_root;

static int setup(void **state)
{
    const char *build = getenv("NVD_BUILD_ROOT");

    tmpdir = make_tmpdir();
    driver_root = nvd_xasprintf("%s/root", tmpdir);
    run_ok("%s/bin/nvd-sim init %s --profile k80x2 >/dev/null", build ? build : "build", driver_root);
    flags_set_defaults(&options);
    options.driver_root = driver_root;
    plugin_init(&plugin, &options);
    return 0;
}

static int teardown(void **state)
{
    plugin_destroy(&plugin);
    run_ok("rm -rf '%s'", tmpdir);
    free(driver_root);
    free(tmpdir);
    return 0;
}

/* A reply and its body as one string. */
struct result {
    struct reply reply;
    const char *body;
};

static struct result get(const char *path, const char *query)
{
    struct request req = {
        .method = "GET", .path = path, .query = query, .accept = NULL, .body = "", .body_len = 0,
    };
    struct result result = {{0}, NULL};

    rest_dispatch(&plugin, &req, &result.reply);
    result.body = result.reply.owned_body ? result.reply.owned_body : result.reply.static_body;
    return result;
}

/* Return the --device arguments of the simulated root for the device names. */
static char *device_args(const char *const names[], size_t count)
{
    struct nvd_buf b = {0};

    for (size_t i = 0; i < count; i++)
        nvd_buf_printf(&b, " --device=%s/dev/%s:/dev/%s", driver_root, names[i], names[i]);
    return nvd_buf_steal(&b);
}

static void docker_cli_all_devices(void **state)
{
    static const char *const names[] = {
        "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia0", "nvidia1",
    };
    cleanup_free char *devices = device_args(names, 5);
    cleanup_free char *want = nvd_xasprintf(
        "--volume-driver=nvidia-docker --volume=nvidia_driver_375.66:/usr/local/nvidia:ro%s", devices);
    static const char *const queries[] = {"", "dev=", "dev=*", "vol=*", "dev=all", "x=1&dev=&vol="};

    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        struct result r = get("/docker/cli", queries[i]);
        assert_int_equal(r.reply.status, 200);
        assert_string_equal(r.reply.content_type, CONTENT_TYPE_TEXT);
        if (strcmp(r.body, want) != 0)
            fail_msg("query '%s': got '%s'", queries[i], r.body);
        free(r.reply.owned_body);
    }
}

static void docker_cli_selected_devices(void **state)
{
    static const char *const names[] = {"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia1", "nvidia0"};
    cleanup_free char *devices = device_args(names, 5);
    cleanup_free char *want = nvd_xasprintf(
        "--volume-driver=nvidia-docker --volume=nvidia_driver_375.66:/usr/local/nvidia:ro%s", devices);

    struct result r = get("/v1.0/docker/cli", "dev=1+0");
    assert_int_equal(r.reply.status, 200);
    assert_string_equal(r.body, want);
    free(r.reply.owned_body);

    r = get("/docker/cli", "dev=1%200&dev=0");
    assert_string_equal(r.body, want);
    free(r.reply.owned_body);
}

static void docker_cli_json_devices(void **state)
{
    cleanup_free char *want = nvd_xasprintf(
        "{\"VolumeDriver\":\"nvidia-docker\",\"Volumes\":[\"nvidia_driver_375.66:/usr/local/nvidia:ro\"],"
        "\"Devices\":[\"%s/dev/nvidiactl:/dev/nvidiactl\",\"%s/dev/nvidia-uvm:/dev/nvidia-uvm\","
        "\"%s/dev/nvidia-uvm-tools:/dev/nvidia-uvm-tools\",\"%s/dev/nvidia1:/dev/nvidia1\"]}\n",
        driver_root, driver_root, driver_root, driver_root);
    struct result r = get("/docker/cli/json", "dev=GPU-0b6a");

    assert_int_equal(r.reply.status, 200);
    assert_string_equal(r.reply.content_type, CONTENT_TYPE_JSON);
    assert_string_equal(r.body, want);
    free(r.reply.owned_body);
}

static void docker_cli_volume_per_piece(void **state)
{
    struct result r = get("/docker/cli", "vol=nvidia_driver+nvidia_driver&dev=void");

    assert_int_equal(r.reply.status, 200);
    assert_string_equal(r.body, "--volume-driver=nvidia-docker");
    free(r.reply.owned_body);

    r = get("/docker/cli", "vol=nvidia_driver+nvidia_driver&dev=none");
    assert_int_equal(r.reply.status, 200);
    assert_non_null(strstr(r.body, "--volume=nvidia_driver_375.66:/usr/local/nvidia:ro "
                                   "--volume=nvidia_driver_375.66:/usr/local/nvidia:ro --device="));
    assert_null(strstr(r.body, "/dev/nvidia0"));
    free(r.reply.owned_body);
}

/* Check that query gets a 400 with exactly the body want. */
static void expect_bad_request(const char *query, const char *want)
{
    struct result r = get("/docker/cli", query);

    assert_int_equal(r.reply.status, 400);
    assert_string_equal(r.reply.content_type, CONTENT_TYPE_TEXT);
    if (strcmp(r.body, want) != 0)
        fail_msg("query '%s': got '%s', expected '%s'", query, r.body, want);
    free(r.reply.owned_body);
}

static void docker_cli_bad_requests(void **state)
{
    expect_bad_request("dev=0,1", "invalid device: 0,1\n");
    expect_bad_request("dev=2", "invalid device: 2\n");
    expect_bad_request("dev=0++1", "invalid device: \n");
    expect_bad_request("dev=0+", "invalid device: \n");
    expect_bad_request("dev=+", "invalid device: \n");
    expect_bad_request("vol=foo", "invalid volume: foo\n");
    expect_bad_request("vol=nvidia_driver+", "invalid volume: \n");
    expect_bad_request("vol=nvidia_driver_375.66", "invalid volume: nvidia_driver_375.66\n");
    /* 1.0 checks the devices before the volumes. */
    expect_bad_request("vol=foo&dev=9", "invalid device: 9\n");
}

static void gpu_info_json_devices(void **state)
{
    static const char prefix[] =
        "{\"Version\":{\"Driver\":\"375.66\",\"CUDA\":\"8.0\"},\"Devices\":["
        "{\"UUID\":\"GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac\","
        "\"Path\":\"/dev/nvidia0\",\"Model\":\"Tesla K80\",";
    struct result r = get("/v1.0/gpu/info/json", "");

    assert_int_equal(r.reply.status, 200);
    assert_string_equal(r.reply.content_type, CONTENT_TYPE_JSON);
    if (strncmp(r.body, prefix, strlen(prefix)) != 0)
        fail_msg("body '%s' does not start with '%s'", r.body, prefix);
    assert_non_null(strstr(r.body, "\"PCI\":{\"BusID\":\"0000:06:00.0\""));
    assert_true(r.body[strlen(r.body) - 1] == '\n');
    free(r.reply.owned_body);
}

static void unknown_routes_not_found(void **state)
{
    static const char *const paths[] = {
        "/", "/v1.0", "/v1.0/", "/docker/cli/", "/v1.0/v1.0/docker/cli", "/gpu/info/json/x",
        "/Docker/cli", "/v2.0/docker/cli",
    };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct result r = get(paths[i], "");
        if (r.reply.status != 404)
            fail_msg("%s: status %u", paths[i], r.reply.status);
        assert_string_equal(r.body, "404 page not found\n");
        free(r.reply.owned_body);
    }

    struct request post = {
        .method = "POST", .path = "/docker/cli", .query = "", .body = "", .body_len = 0,
    };
    struct reply reply = {0};
    rest_dispatch(&plugin, &post, &reply);
    assert_int_equal(reply.status, 404);
}

static void missing_driver_then_recovery(void **state)
{
    cleanup_free char *moved = nvd_xasprintf("%s/moved", tmpdir);

    /* Without the root, the reply is a 500 that names what was looked for. */
    run_ok("mv '%s' '%s'", driver_root, moved);
    struct result r = get("/docker/cli", "");
    assert_int_equal(r.reply.status, 500);
    assert_string_equal(r.reply.content_type, CONTENT_TYPE_TEXT);
    if (!strstr(r.body, driver_root))
        fail_msg("500 body '%s' does not name the driver root", r.body);
    free(r.reply.owned_body);

    r = get("/gpu/info/json", "");
    assert_int_equal(r.reply.status, 500);
    free(r.reply.owned_body);

    /* Once the driver is back, the next request discovers it. */
    run_ok("mv '%s' '%s'", moved, driver_root);
    r = get("/gpu/info/json", "");
    assert_int_equal(r.reply.status, 200);
    free(r.reply.owned_body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(docker_cli_all_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(docker_cli_selected_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(docker_cli_json_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(docker_cli_volume_per_piece, setup, teardown),
        cmocka_unit_test_setup_teardown(docker_cli_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(gpu_info_json_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_routes_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_driver_then_recovery, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
