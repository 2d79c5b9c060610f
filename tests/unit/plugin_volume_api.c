/*
 * Unit tests for the volume plugin protocol handlers, called without an
 * HTTP server on a temporary volumes directory. The driver root does not
 * exist, so Create shows how a missing driver reaches Docker.
 */
#include "test_util.h"

#include <sys/stat.h>

#include "plugin.h"
#include "util.h"
#include "flags.h"

#define DOCKER_ACCEPT "application/vnd.docker.plugins.v1.2+json"
#define MISSING_ROOT "/nonexistent-nvd-driver-root"

static struct plugin_options options;
static struct plugin plugin;
static char *volumes_dir;

static int setup(void **state)
{
    volumes_dir = make_tmpdir();
    flags_set_defaults(&options);
    options.volumes_dir = volumes_dir;
    options.driver_root = MISSING_ROOT;
    plugin_init(&plugin, &options);
    return 0;
}

static int teardown(void **state)
{
    plugin_destroy(&plugin);
    run_ok("rm -rf '%s'", volumes_dir);
    free(volumes_dir);
    return 0;
}

/* A reply and its body as one string. */
struct result {
    struct reply reply;
    const char *body;
};

/* Dispatch one request with Accept header accept (NULL: none). */
static struct result call_with_accept(const char *method, const char *path,
                                      const char *accept, const char *body)
{
    struct request req = {
        .method = method,
        .path = path,
        .query = "",
        .accept = accept,
        .body = body ? body : "",
        .body_len = body ? strlen(body) : 0,
    };
    struct result result = {{0}, NULL};

    volume_api_dispatch(&plugin, &req, &result.reply);
    result.body = result.reply.owned_body ? result.reply.owned_body : result.reply.static_body;
    return result;
}

/* POST body to path as Docker does, and check the reply is a plugin 200. */
static struct result post(const char *path, const char *body)
{
    struct result r = call_with_accept("POST", path, DOCKER_ACCEPT, body);

    assert_int_equal(r.reply.status, 200);
    assert_string_equal(r.reply.content_type, CONTENT_TYPE_PLUGIN);
    return r;
}

/* POST body to path and compare the reply body with want. */
static void expect_reply(const char *path, const char *body, const char *want)
{
    struct result r = post(path, body);

    assert_string_equal(r.body, want);
    free(r.reply.owned_body);
}

static void accept_header_checked(void **state)
{
    static const char *const rejected[] = {
        NULL, "", "*/*", "application/json", "application/vnd.docker.plugins.v1+json",
        "application/vnd.docker.plugins.v1.2+json; charset=utf-8",
    };

    for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
        struct result r = call_with_accept("POST", "/Plugin.Activate", rejected[i], NULL);
        assert_int_equal(r.reply.status, 406);
        assert_string_equal(r.body, "");
        free(r.reply.owned_body);
    }
    /* 1.0 checks Accept before the route, so an unknown path is a 406 too. */
    struct result r = call_with_accept("GET", "/nowhere", NULL, NULL);
    assert_int_equal(r.reply.status, 406);

    r = call_with_accept("POST", "/Plugin.Activate", "application/vnd.docker.plugins.v1.1+json", NULL);
    assert_int_equal(r.reply.status, 200);
}

static void unknown_route_not_found(void **state)
{
    struct result r = call_with_accept("GET", "/Plugin.Activate", DOCKER_ACCEPT, NULL);
    assert_int_equal(r.reply.status, 404);
    assert_string_equal(r.body, "404 page not found\n");

    r = call_with_accept("POST", "/VolumeDriver.Nothing", DOCKER_ACCEPT, NULL);
    assert_int_equal(r.reply.status, 404);

    r = call_with_accept("POST", "/plugin.activate", DOCKER_ACCEPT, NULL);
    assert_int_equal(r.reply.status, 404);
}

static void activate_and_capabilities(void **state)
{
    expect_reply("/Plugin.Activate", NULL, "{\"Implements\":[\"VolumeDriver\"]}\n");
    expect_reply("/VolumeDriver.Capabilities", "{}", "{\"Capabilities\":{\"Scope\":\"local\"}}\n");
}

/* Without a driver, a volume whose directory is missing cannot be served: Err names the root. */
static void mount_missing_volume(void **state)
{
    static const char *const paths[] = {
        "/VolumeDriver.Mount", "/VolumeDriver.Path", "/VolumeDriver.Get",
    };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct result r = post(paths[i], "{\"Name\":\"nvidia_driver_375.66\",\"ID\":\"abc\"}");
        if (!strstr(r.body, MISSING_ROOT) || !strstr(r.body, "null,\"Err\":\""))
            fail_msg("%s: reply '%s' is no error naming the driver root", paths[i], r.body);
        free(r.reply.owned_body);
    }
}

static void mount_existing_volume(void **state)
{
    char want[1024];

    run_ok("mkdir -p '%s/nvidia_driver/375.66'", volumes_dir);
    snprintf(want, sizeof(want), "{\"Mountpoint\":\"%s/nvidia_driver/375.66\",\"Err\":null}\n",
             volumes_dir);
    expect_reply("/VolumeDriver.Mount", "{\"Name\":\"nvidia_driver_375.66\"}", want);
    expect_reply("/VolumeDriver.Path", "{\"name\":\"nvidia_driver_375.66\"}", want);

    snprintf(want, sizeof(want),
             "{\"Volume\":{\"Name\":\"nvidia_driver_375.66\",\"Mountpoint\":\"%s/nvidia_driver/375.66\"},"
             "\"Err\":null}\n", volumes_dir);
    expect_reply("/VolumeDriver.Get", "{\"NAME\":\"nvidia_driver_375.66\",\"Opts\":{\"a\":1}}", want);
    expect_reply("/VolumeDriver.Unmount", "{\"Name\":\"nvidia_driver_375.66\",\"ID\":\"x\"}",
                 "{\"Err\":null}\n");
}

static void list_volumes_sorted(void **state)
{
    char want[2048];

    expect_reply("/VolumeDriver.List", NULL, "{\"Volumes\":null,\"Err\":null}\n");
    run_ok("mkdir -p '%s/nvidia_driver'", volumes_dir);
    expect_reply("/VolumeDriver.List", NULL, "{\"Volumes\":null,\"Err\":null}\n");

    /* A build in progress (a name that is no version) is not listed. */
    run_ok("cd '%s/nvidia_driver' && mkdir 375.66 361.42 .tmp-build && touch 418.87.01",
           volumes_dir);
    snprintf(want, sizeof(want),
             "{\"Volumes\":["
             "{\"Name\":\"nvidia_driver_361.42\",\"Mountpoint\":\"%s/nvidia_driver/361.42\"},"
             "{\"Name\":\"nvidia_driver_375.66\",\"Mountpoint\":\"%s/nvidia_driver/375.66\"},"
             "{\"Name\":\"nvidia_driver_418.87.01\",\"Mountpoint\":\"%s/nvidia_driver/418.87.01\"}"
             "],\"Err\":null}\n", volumes_dir, volumes_dir, volumes_dir);
    expect_reply("/VolumeDriver.List", NULL, want);
}

static void remove_volume_directory(void **state)
{
    char path[1024];
    struct stat st;

    run_ok("mkdir -p '%s/nvidia_driver/375.66/lib64' && touch '%s/nvidia_driver/375.66/lib64/x' "
           "&& ln -s / '%s/nvidia_driver/375.66/lib64/root'", volumes_dir, volumes_dir, volumes_dir);
    expect_reply("/VolumeDriver.Remove", "{\"Name\":\"nvidia_driver_375.66\"}", "{\"Err\":null}\n");
    snprintf(path, sizeof(path), "%s/nvidia_driver/375.66", volumes_dir);
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(stat("/", &st), 0);

    /* Removing what does not exist succeeds, as Go's os.RemoveAll does. */
    expect_reply("/VolumeDriver.Remove", "{\"Name\":\"nvidia_driver_1.0\"}", "{\"Err\":null}\n");
}

static void bad_volume_names(void **state)
{
    expect_reply("/VolumeDriver.Mount", "{\"Name\":\"foo\"}",
                 "{\"Mountpoint\":null,\"Err\":\"bad volume format: foo\"}\n");
    expect_reply("/VolumeDriver.Remove", "{\"Name\":\"other_driver_1.0\"}",
                 "{\"Err\":\"unsupported volume: other_driver_1.0\"}\n");
    expect_reply("/VolumeDriver.Unmount", "{}", "{\"Err\":\"bad volume format: \"}\n");
    expect_reply("/VolumeDriver.Unmount", "{\"Name\":null}", "{\"Err\":\"bad volume format: \"}\n");
    expect_reply("/VolumeDriver.Remove", "{\"Name\":\"nvidia_driver_..\"}",
                 "{\"Err\":\"bad volume format: nvidia_driver_..\"}\n");
}

static void error_text_is_go_escaped(void **state)
{
    expect_reply("/VolumeDriver.Unmount", "{\"Name\":\"<a&b>\\u2028\"}",
                 "{\"Err\":\"bad volume format: \\u003ca\\u0026b\\u003e\\u2028\"}\n");
}

/* POST body to Unmount and check that Err contains text. */
static void expect_body_error(const char *body, const char *text)
{
    struct result r = post("/VolumeDriver.Unmount", body);

    if (!strstr(r.body, text))
        fail_msg("body '%.60s': reply '%s' lacks '%s'", body, r.body, text);
    assert_true(strncmp(r.body, "{\"Err\":\"", 8) == 0);
    free(r.reply.owned_body);
}

static void malformed_bodies(void **state)
{
    expect_body_error("", "missing request body");
    expect_body_error(" \n", "missing request body");
    expect_body_error("{\"Name\":", "invalid JSON in the request body");
    expect_body_error("[1]", "expected a JSON object, got an array");
    expect_body_error("{\"Name\":3}", "Name is a number, expected a string");
    expect_body_error("{\"Name\":{}}", "Name is an object");
}

static void oversized_body(void **state)
{
    struct request req = {
        .method = "POST", .path = "/VolumeDriver.Create", .query = "",
        .accept = DOCKER_ACCEPT, .body = "", .body_len = 0, .body_too_large = true,
    };
    struct reply reply = {0};

    volume_api_dispatch(&plugin, &req, &reply);
    assert_int_equal(reply.status, 200);
    assert_string_equal(reply.owned_body, "{\"Err\":\"request body too large: more than 65536 bytes\"}\n");
    free(reply.owned_body);
}

static void create_without_driver(void **state)
{
    struct result r = post("/VolumeDriver.Create", "{\"Name\":\"nvidia_driver_375.66\"}");

    /* The cause names the root searched, and Docker shows it to the user. */
    assert_true(strncmp(r.body, "{\"Err\":\"", 8) == 0);
    if (!strstr(r.body, MISSING_ROOT))
        fail_msg("reply '%s' does not name the driver root", r.body);
    assert_null(strstr(r.body, "check logs"));
    free(r.reply.owned_body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(accept_header_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_route_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(activate_and_capabilities, setup, teardown),
        cmocka_unit_test_setup_teardown(mount_missing_volume, setup, teardown),
        cmocka_unit_test_setup_teardown(mount_existing_volume, setup, teardown),
        cmocka_unit_test_setup_teardown(list_volumes_sorted, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_volume_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_volume_names, setup, teardown),
        cmocka_unit_test_setup_teardown(error_text_is_go_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(oversized_body, setup, teardown),
        cmocka_unit_test_setup_teardown(create_without_driver, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
