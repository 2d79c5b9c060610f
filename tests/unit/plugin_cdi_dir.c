/*
 * Unit tests for --cdi-dir (cdi_dir.c, cdi_watch.c). The spec written at
 * start equals /cdi/json and follows a driver upgrade, a removed control
 * node, a removed driver volume and a driver installed after the start. It is removed while the driver has no
 * GPU and when the plugin stops. An unwritable directory fails the
 * start with a message that names it. nvd-sim makes the driver root
 * (k80x2, driver 375.66).
 */
#include "test_util.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>

#include "golden.h"
#include "plugin_test_util.h"

/* Settling time of the spec thread, short for the tests, and the tests' poll interval. */
#define TEST_POLL_MS 20
/* Upper bound for waits on the spec thread; it normally takes about TEST_POLL_MS. */
#define TEST_WAIT_MS 10000

static char *cdi_dir;
static char *spec_path;
static char *volumes_dir;
static char *late_root;   /* driver root of cdi_dir_waits_for_driver, NULL elsewhere */

static int setup(void **state)
{
    sim_plugin_prepare("k80x2");
    cdi_dir = nvd_xasprintf("%s/cdi", tmp_dir);
    spec_path = nvd_xasprintf("%s/nvidia-docker.json", cdi_dir);
    volumes_dir = nvd_xasprintf("%s/volumes", tmp_dir);
    options.volumes_dir = volumes_dir;
    options.cdi_dir = cdi_dir;
    plugin_init(&plugin, &options);
    plugin.cdi_poll_ms = TEST_POLL_MS;
    return 0;
}

static int teardown(void **state)
{
    int rc = sim_plugin_stop(state);

    free(cdi_dir);
    free(spec_path);
    free(volumes_dir);
    free(late_root);
    late_root = NULL;
    return rc;
}

static bool spec_exists(void)
{
    struct stat st;

    return stat(spec_path, &st) == 0;
}

/* Return the /cdi/json reply of the plugin, which must be a 200. */
static char *rest_spec(void)
{
    struct request req = {
        .client = "127.0.0.1:1", .method = "GET", .path = "/cdi/json", .query = "", .body = "",
    };
    struct reply reply = {0};

    rest_dispatch(&plugin, &req, &reply);
    if (reply.status != 200)
        fail_msg("GET /cdi/json: status %u: %s", reply.status, reply.owned_body);
    return steal_pointer(&reply.owned_body);
}

static void sleep_ms(long ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* Wait until the spec file exists (want) or not, and contains needle when given. */
static void wait_for_spec(bool want, const char *needle)
{
    for (long waited = 0; waited < TEST_WAIT_MS; waited += TEST_POLL_MS) {
        if (spec_exists() == want) {
            if (!want || !needle)
                return;
            cleanup_free char *text = read_text_file(spec_path);
            if (strstr(text, needle))
                return;
        }
        sleep_ms(TEST_POLL_MS);
    }
    if (want)
        fail_msg("after %d ms, %s is missing or lacks %s", TEST_WAIT_MS, spec_path,
                 needle ? needle : "nothing");
    fail_msg("after %d ms, %s still exists", TEST_WAIT_MS, spec_path);
}

static void cdi_dir_written_at_start(void **state)
{
    SKIP_UNLESS_ROOT();
    assert_false(spec_exists());
    assert_int_equal(plugin_cdi_start(&plugin, NULL), 0);

    /* Written before start returns, and the same text as /cdi/json. */
    assert_true(spec_exists());
    cleanup_free char *text = read_text_file(spec_path);
    cleanup_free char *served = rest_spec();
    assert_string_equal(text, served);
    cleanup_free char *volume = nvd_xasprintf("\"hostPath\": \"%s/nvidia_driver/375.66\"", volumes_dir);
    assert_non_null(strstr(text, volume));

    plugin_cdi_stop(&plugin);
    assert_false(spec_exists());
}

static void cdi_dir_follows_driver(void **state)
{
    SKIP_UNLESS_ROOT();
    assert_int_equal(plugin_cdi_start(&plugin, NULL), 0);
    assert_true(spec_exists());

    /* An upgrade rewrites etc/ld.so.cache; the thread notices without a request. */
    run_ok("%s/bin/nvd-sim init %s --profile k80x2 --driver-version 390.12 >/dev/null",
           build_dir, driver_root);
    wait_for_spec(true, "/nvidia_driver/390.12\"");

    /* A driver without GPUs has no spec: the old one is removed. */
    run_ok("%s/bin/nvd-sim init %s --profile none >/dev/null", build_dir, driver_root);
    wait_for_spec(false, NULL);

    run_ok("%s/bin/nvd-sim init %s --profile k80x2 >/dev/null", build_dir, driver_root);
    wait_for_spec(true, "/nvidia_driver/375.66\"");
    cleanup_free char *text = read_text_file(spec_path);
    cleanup_free char *served = rest_spec();
    assert_string_equal(text, served);
}

static void cdi_dir_follows_nodes_and_volume(void **state)
{
    SKIP_UNLESS_ROOT();
    assert_int_equal(plugin_cdi_start(&plugin, NULL), 0);
    cleanup_free char *before = read_text_file(spec_path);
    assert_non_null(strstr(before, "/dev/nvidia-uvm-tools\""));

    /* A control node that goes away leaves the spec without a request. */
    run_ok("rm '%s/dev/nvidia-uvm-tools'", driver_root);
    for (long waited = 0; waited < TEST_WAIT_MS; waited += TEST_POLL_MS) {
        cleanup_free char *text = read_text_file(spec_path);
        if (!strstr(text, "/dev/nvidia-uvm-tools\""))
            break;
        sleep_ms(TEST_POLL_MS);
    }
    cleanup_free char *without = read_text_file(spec_path);
    assert_null(strstr(without, "/dev/nvidia-uvm-tools\""));

    /* A removed driver volume is built again for the spec. */
    cleanup_free char *volume = nvd_xasprintf("%s/nvidia_driver/375.66", volumes_dir);
    run_ok("rm -rf '%s'", volume);
    struct stat st;
    for (long waited = 0; waited < TEST_WAIT_MS && stat(volume, &st) != 0; waited += TEST_POLL_MS)
        sleep_ms(TEST_POLL_MS);
    assert_int_equal(stat(volume, &st), 0);
}

static void cdi_dir_waits_for_driver(void **state)
{
    SKIP_UNLESS_ROOT();

    /* No driver yet: etc and dev cannot be watched, so the thread checks on a timer. */
    late_root = nvd_xasprintf("%s/late", tmp_dir);
    plugin_destroy(&plugin);
    options.driver_root = late_root;
    plugin_init(&plugin, &options);
    plugin.cdi_poll_ms = TEST_POLL_MS;
    assert_int_equal(plugin_cdi_start(&plugin, NULL), 0);
    assert_false(spec_exists());

    run_ok("%s/bin/nvd-sim init %s --profile k80x2 >/dev/null", build_dir, late_root);
    wait_for_spec(true, "/nvidia_driver/375.66\"");
    cleanup_free char *text = read_text_file(spec_path);
    cleanup_free char *served = rest_spec();
    assert_string_equal(text, served);
}

static void cdi_dir_kept_after_sighup(void **state)
{
    SKIP_UNLESS_ROOT();
    assert_int_equal(plugin_cdi_start(&plugin, NULL), 0);
    cleanup_free char *before = read_text_file(spec_path);

    /* SIGHUP drops the host; with the same driver the spec stays and no discovery runs. */
    plugin_driver_reset(&plugin);
    sleep_ms(5 * TEST_POLL_MS);
    assert_true(spec_exists());
    cleanup_free char *after = read_text_file(spec_path);
    assert_string_equal(after, before);
    struct plugin_host *ref = plugin_host_peek(&plugin);
    assert_null(ref);
}

static void cdi_dir_unwritable(void **state)
{
    cleanup_free char *file = nvd_xasprintf("%s/file", tmp_dir);
    cleanup_free char *bad_dir = nvd_xasprintf("%s/cdi", file);
    nvd_error *err = NULL;

    SKIP_UNLESS_ROOT();
    run_ok("touch '%s'", file);
    plugin.opts.cdi_dir = bad_dir;
    assert_int_equal(plugin_cdi_start(&plugin, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "invalid --cdi-dir"));
    assert_non_null(strstr(err->msg, bad_dir));
    nvd_error_free(err);
    assert_false(plugin.cdi_thread_started);
    plugin.opts.cdi_dir = cdi_dir;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(cdi_dir_written_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(cdi_dir_follows_driver, setup, teardown),
        cmocka_unit_test_setup_teardown(cdi_dir_follows_nodes_and_volume, setup, teardown),
        cmocka_unit_test_setup_teardown(cdi_dir_waits_for_driver, setup, teardown),
        cmocka_unit_test_setup_teardown(cdi_dir_kept_after_sighup, setup, teardown),
        cmocka_unit_test_setup_teardown(cdi_dir_unwritable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
