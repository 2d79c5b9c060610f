/*
 * Unit tests for the /gpu and /mesos routes when the driver is unusable:
 * every one replies 500 with the library's message as text/plain, and none
 * of them crashes on the missing host or status.
 */
#include "test_util.h"

#include "plugin.h"
#include "util.h"

static const char *const gpu_routes[] = {
    "/gpu/info", "/gpu/info/json", "/gpu/status", "/gpu/status/json", "/mesos/cli",
    "/v1.0/gpu/info", "/v1.0/gpu/status/json", "/v1.0/mesos/cli",
};

static void routes_without_nvml_fail_500(void **state)
{
    const char *build = getenv("NVD_BUILD_ROOT");
    cleanup_free char *tmpdir = make_tmpdir();
    cleanup_free char *root = nvd_xasprintf("%s/root", tmpdir);
    struct plugin_options options;
    struct plugin plugin;

    run_ok("%s/bin/nvd-sim init %s --profile k80x2 >/dev/null", build ? build : "build", root);
    run_ok("find %s -name 'libnvidia-ml.so*' -delete", root);
    flags_set_defaults(&options);
    options.driver_root = root;
    plugin_init(&plugin, &options);

    for (size_t i = 0; i < sizeof(gpu_routes) / sizeof(gpu_routes[0]); i++) {
        struct request req = {
            .client = "127.0.0.1:1", .method = "GET", .path = gpu_routes[i], .query = "",
            .accept = NULL, .body = "", .body_len = 0,
        };
        struct reply reply = {0};

        rest_dispatch(&plugin, &req, &reply);
        if (reply.status != 500)
            fail_msg("GET %s: status %u, expected 500", gpu_routes[i], reply.status);
        assert_string_equal(reply.content_type, CONTENT_TYPE_TEXT);
        assert_non_null(reply.owned_body);
        assert_non_null(strstr(reply.owned_body, "libnvidia-ml.so.1"));
        assert_int_equal(reply.owned_body[strlen(reply.owned_body) - 1], '\n');
        free(reply.owned_body);
        free(reply.location);
    }
    plugin_destroy(&plugin);
    run_ok("rm -rf '%s'", tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_without_nvml_fail_500),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
