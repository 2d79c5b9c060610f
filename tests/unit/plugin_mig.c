/*
 * Unit tests for MIG devices in the daemon: /docker/cli on an nvd-sim root
 * of profile a100x8-mig, and the rediscovery that a changed MIG layout
 * causes without a driver change. The NVML double shows a MIG device only
 * while both its capability nodes exist, so removing them makes NVML's
 * next load report another layout, as a destroyed MIG instance does.
 */
#include "test_util.h"

#include "plugin_test_util.h"

/* Idle time before NVML closes, short for the tests. */
#define TEST_IDLE_MS 50

static int setup(void **state)
{
    sim_plugin_start_idle_close("a100x8-mig", TEST_IDLE_MS);
    return 0;
}

/* GET /docker/cli with query and return the reply's status; *body receives the body. */
static unsigned get_docker_cli(const char *query, char **body)
{
    struct request req = {
        .client = "127.0.0.1:1", .method = "GET", .path = "/docker/cli", .query = query,
        .accept = NULL, .body = "", .body_len = 0,
    };
    struct reply reply = {0};

    rest_dispatch(&plugin, &req, &reply);
    assert_non_null(reply.owned_body);
    *body = reply.owned_body;
    free(reply.location);
    return reply.status;
}

/* Check that body has the --device argument of the node /dev/<node> under the driver root. */
static void assert_has_device(const char *body, const char *node)
{
    cleanup_free char *arg = nvd_xasprintf("--device=%s/dev/%s:/dev/%s", driver_root, node, node);
    if (!strstr(body, arg))
        fail_msg("'%s' lacks '%s'", body, arg);
}

static void docker_cli_gives_mig_nodes(void **state)
{
    SKIP_UNLESS_ROOT();
    char *body;

    assert_int_equal(get_docker_cli("dev=0:1", &body), 200);
    assert_has_device(body, "nvidia0");
    assert_has_device(body, "nvidia-caps/nvidia-cap75");
    assert_has_device(body, "nvidia-caps/nvidia-cap76");
    assert_null(strstr(body, "nvidia1"));
    free(body);

    assert_int_equal(get_docker_cli("dev=0:9", &body), 400);
    assert_string_equal(body, "invalid device: 0:9\n");
    free(body);
}

static void changed_mig_layout_is_rediscovered(void **state)
{
    SKIP_UNLESS_ROOT();
    char *body;

    assert_int_equal(get_docker_cli("dev=0:1", &body), 200);
    assert_has_device(body, "nvidia-caps/nvidia-cap75");
    free(body);
    assert_true(wait_for_idle_close());

    /* GPU instance 8 goes, so MIG index 1 of GPU 0 is now GPU instance 9 (minors 84 and 85). */
    run_ok("rm %s/dev/nvidia-caps/nvidia-cap75 %s/dev/nvidia-caps/nvidia-cap76", driver_root,
           driver_root);
    assert_int_equal(get_docker_cli("dev=0:1", &body), 200);
    assert_has_device(body, "nvidia-caps/nvidia-cap84");
    assert_has_device(body, "nvidia-caps/nvidia-cap85");
    assert_null(strstr(body, "nvidia-cap75"));
    free(body);

    /* Only 6 MIG devices are left on GPU 0. */
    assert_int_equal(get_docker_cli("dev=0:6", &body), 400);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(docker_cli_gives_mig_nodes, setup, sim_plugin_stop),
        cmocka_unit_test_setup_teardown(changed_mig_layout_is_rediscovered, setup, sim_plugin_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
