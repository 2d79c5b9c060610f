/*
 * plugin_test_util.h: a daemon (struct plugin) on an nvd-sim driver root,
 * shared by the plugin unit tests. Include after test_util.h.
 */
#ifndef NVD_PLUGIN_TEST_UTIL_H
#define NVD_PLUGIN_TEST_UTIL_H

#include <time.h>

#include "flags.h"
#include "plugin.h"
#include "util.h"

/* Upper bound for the wait on the idle-close thread; it normally takes driver_idle_ms. */
#define TEST_IDLE_WAIT_MS 5000

static struct plugin_options options;
static struct plugin plugin;
static char *driver_root;   /* <tmp_dir>/root */

/*
 * Make tmp_dir with an nvd-sim root of profile at driver_root, and set
 * options to the defaults with that driver root. The test may change
 * options before plugin_init().
 */
static inline void sim_plugin_prepare(const char *profile)
{
    sim_group_setup(NULL);
    driver_root = nvd_xasprintf("%s/root", tmp_dir);
    run_ok("%s/bin/nvd-sim init %s --profile %s >/dev/null", build_dir, driver_root, profile);
    flags_set_defaults(&options);
    options.driver_root = driver_root;
}

/* Prepare as sim_plugin_prepare() does, and start a plugin that closes NVML after idle_ms. */
static inline void sim_plugin_start_idle_close(const char *profile, long long idle_ms)
{
    sim_plugin_prepare(profile);
    plugin_init(&plugin, &options);
    plugin.driver_idle_ms = idle_ms;
    assert_int_equal(plugin_driver_start_idle_close(&plugin, NULL), 0);
}

/* Stop the plugin and remove tmp_dir. */
static inline int sim_plugin_stop(void **state)
{
    plugin_destroy(&plugin);
    free(driver_root);
    return sim_group_teardown(state);
}

static inline bool driver_is_open(void)
{
    pthread_mutex_lock(&plugin.driver_lock);
    bool open = plugin.driver != NULL;
    pthread_mutex_unlock(&plugin.driver_lock);
    return open;
}

/* Wait up to TEST_IDLE_WAIT_MS for the idle-close thread to close NVML; false if it did not. */
static inline bool wait_for_idle_close(void)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};

    for (int waited = 0; waited < TEST_IDLE_WAIT_MS; waited += 10) {
        if (!driver_is_open())
            return true;
        nanosleep(&pause, NULL);
    }
    return false;
}

#endif /* NVD_PLUGIN_TEST_UTIL_H */
