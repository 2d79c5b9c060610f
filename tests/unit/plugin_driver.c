/*
 * Unit tests for the driver's life cycle in the daemon (host_cache.c): NVML
 * closed when idle and reopened on demand, SIGHUP's reset, a driver
 * upgrade noticed through etc/ld.so.cache, and nvidia-modprobe. The driver
 * root is made by nvd-sim (k80x2, driver 375.66). Whether NVML is loaded is
 * read from /proc/self/maps.
 */
#include "test_util.h"

#include "plugin_test_util.h"

/* Idle time before NVML closes, short for the tests. */
#define TEST_IDLE_MS 100

static int setup(void **state)
{
    sim_plugin_start_idle_close("k80x2", TEST_IDLE_MS);
    return 0;
}

/* Return whether this process maps a file whose path contains name. */
static bool maps_library(const char *name)
{
    cleanup_file FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096];

    assert_non_null(maps);
    while (fgets(line, sizeof(line), maps)) {
        if (strstr(line, name))
            return true;
    }
    return false;
}

static void driver_closes_when_idle(void **state)
{
    struct plugin_driver *driver = plugin_driver_acquire(&plugin, NULL);

    assert_non_null(driver);
    assert_non_null(driver->driver);
    assert_string_equal(driver->host->driver_version, "375.66");
    assert_true(maps_library("libnvidia-ml.so"));
    plugin_driver_release(driver);

    assert_true(wait_for_idle_close());
    assert_false(maps_library("libnvidia-ml.so"));
}

static void driver_reopens_with_cached_host(void **state)
{
    struct plugin_host *host = plugin_host_acquire(&plugin, NULL);

    assert_non_null(host);
    assert_true(wait_for_idle_close());

    /* The host stays cached while NVML is closed, and the reopened driver serves it. */
    struct plugin_host *again = plugin_host_acquire(&plugin, NULL);
    assert_ptr_equal(again, host);
    assert_false(driver_is_open());
    plugin_host_release(again);

    struct plugin_driver *driver = plugin_driver_acquire(&plugin, NULL);
    assert_non_null(driver);
    assert_ptr_equal(driver->host, host->host);
    assert_true(maps_library("libnvidia-ml.so"));
    plugin_driver_release(driver);
    plugin_host_release(host);
}

static void driver_in_use_stays_open(void **state)
{
    struct plugin_driver *driver = plugin_driver_acquire(&plugin, NULL);
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 5 * TEST_IDLE_MS * 1000000L};

    assert_non_null(driver);
    nanosleep(&pause, NULL);
    assert_true(driver_is_open());
    assert_true(maps_library("libnvidia-ml.so"));
    plugin_driver_release(driver);
    assert_true(wait_for_idle_close());
}

static void driver_reset_waits_for_users(void **state)
{
    struct plugin_driver *held = plugin_driver_acquire(&plugin, NULL);

    assert_non_null(held);
    plugin_driver_reset(&plugin);
    assert_false(driver_is_open());
    /* A request that still uses the driver keeps NVML and its host. */
    assert_true(maps_library("libnvidia-ml.so"));
    assert_string_equal(held->host->driver_version, "375.66");

    struct plugin_driver *fresh = plugin_driver_acquire(&plugin, NULL);
    assert_non_null(fresh);
    assert_ptr_not_equal(fresh, held);
    assert_ptr_not_equal(fresh->host, held->host);
    plugin_driver_release(held);
    plugin_driver_release(fresh);

    assert_true(wait_for_idle_close());
    assert_false(maps_library("libnvidia-ml.so"));
}

static void driver_upgrade_rediscovers(void **state)
{
    struct plugin_driver *old = plugin_driver_acquire(&plugin, NULL);

    assert_non_null(old);
    assert_string_equal(old->host->driver_version, "375.66");
    run_ok("%s/bin/nvd-sim init %s --profile k80x2 --driver-version 390.48 >/dev/null",
           build_dir, driver_root);

    struct plugin_host *host = plugin_host_acquire(&plugin, NULL);
    assert_non_null(host);
    assert_string_equal(host->host->driver_version, "390.48");
    assert_string_equal(plugin.known_version, "390.48");
    /* The request that started before the upgrade still has the old data. */
    assert_string_equal(old->host->driver_version, "375.66");
    plugin_driver_release(old);

    struct plugin_driver *driver = plugin_driver_acquire(&plugin, NULL);
    assert_non_null(driver);
    assert_ptr_equal(driver->host, host->host);
    assert_true(maps_library("libnvidia-ml.so.390.48"));
    plugin_driver_release(driver);
    plugin_host_release(host);

    assert_true(wait_for_idle_close());
    assert_false(maps_library("libnvidia-ml.so"));
}

static void driver_missing_fails_each_request(void **state)
{
    cleanup_error nvd_error *err = NULL;
    cleanup_error nvd_error *again = NULL;

    run_ok("rm -f %s/usr/lib/*/libnvidia-ml.so* && ldconfig -r %s", driver_root, driver_root);
    plugin_driver_reset(&plugin);

    assert_null(plugin_host_acquire(&plugin, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "libnvidia-ml.so.1"));
    assert_null(plugin_driver_acquire(&plugin, &again));
    assert_non_null(again);
    assert_false(driver_is_open());
}

static void modprobe_runs_when_uvm_missing(void **state)
{
    cleanup_free char *marker = nvd_xasprintf("%s/modprobe-args", tmp_dir);
    cleanup_free char *contents = NULL;
    size_t size = 0;

    /* A stand-in nvidia-modprobe that records its arguments. */
    run_ok("rm -f %s/dev/nvidia-uvm %s/usr/bin/nvidia-modprobe && "
           "printf '#!/bin/sh\\necho \"$@\" >%s\\n' >%s/usr/bin/nvidia-modprobe && "
           "chmod 755 %s/usr/bin/nvidia-modprobe",
           driver_root, driver_root, marker, driver_root, driver_root);
    plugin_driver_reset(&plugin);

    struct plugin_host *host = plugin_host_acquire(&plugin, NULL);
    assert_non_null(host);
    plugin_host_release(host);

    cleanup_file FILE *f = fopen(marker, "r");
    assert_non_null(f);
    assert_int_not_equal(getline(&contents, &size, f), -1);
    assert_string_equal(contents, "-u -c=0\n");
}

static void modprobe_failure_is_not_fatal(void **state)
{
    run_ok("rm -f %s/dev/nvidia-uvm %s/usr/bin/nvidia-modprobe && "
           "printf '#!/bin/sh\\nexit 3\\n' >%s/usr/bin/nvidia-modprobe && "
           "chmod 755 %s/usr/bin/nvidia-modprobe",
           driver_root, driver_root, driver_root, driver_root);
    plugin_driver_reset(&plugin);

    struct plugin_host *host = plugin_host_acquire(&plugin, NULL);
    assert_non_null(host);
    plugin_host_release(host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(driver_closes_when_idle, setup, sim_plugin_stop),
        cmocka_unit_test_setup_teardown(driver_reopens_with_cached_host, setup, sim_plugin_stop),
        cmocka_unit_test_setup_teardown(driver_in_use_stays_open, setup, sim_plugin_stop),
        cmocka_unit_test_setup_teardown(driver_reset_waits_for_users, setup, sim_plugin_stop),
        cmocka_unit_test_setup_teardown(driver_upgrade_rediscovers, setup, sim_plugin_stop),
        cmocka_unit_test_setup_teardown(driver_missing_fails_each_request, setup, sim_plugin_stop),
        cmocka_unit_test_setup_teardown(modprobe_runs_when_uvm_missing, setup, sim_plugin_stop),
        cmocka_unit_test_setup_teardown(modprobe_failure_is_not_fatal, setup, sim_plugin_stop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
