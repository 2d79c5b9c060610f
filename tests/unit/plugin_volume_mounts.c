/*
 * Unit tests for the volume plugin's driver upgrades and mount records:
 * every nvidia_driver_<version> served with the current driver's files,
 * mounts kept in <-d>/mounts.json across a restart, Remove of a mounted
 * volume rejected, and older directories deleted once unmounted. The
 * driver root is made by nvd-sim (k80x2, driver 375.66), and an upgrade is
 * nvd-sim init with --driver-version 390.48.
 */
#include "test_util.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include "flags.h"
#include "plugin.h"
#include "util.h"
#include "volume_state.h"

#define DOCKER_ACCEPT "application/vnd.docker.plugins.v1.2+json"
#define OLD_NAME "nvidia_driver_375.66"
#define NEW_NAME "nvidia_driver_390.48"

static struct plugin_options options;
static struct plugin plugin;
static char *tmpdir;
static char *driver_root;
static char *volumes_dir;
static const char *build_root;

static int setup(void **state)
{
    build_root = getenv("NVD_BUILD_ROOT") ? getenv("NVD_BUILD_ROOT") : "build";
    tmpdir = make_tmpdir();
    driver_root = nvd_xasprintf("%s/root", tmpdir);
    volumes_dir = nvd_xasprintf("%s/volumes", tmpdir);
    run_ok("%s/bin/nvd-sim init %s --profile k80x2 >/dev/null", build_root, driver_root);
    flags_set_defaults(&options);
    options.driver_root = driver_root;
    options.volumes_dir = volumes_dir;
    plugin_init(&plugin, &options);
    return 0;
}

static int teardown(void **state)
{
    plugin_destroy(&plugin);
    run_ok("rm -rf '%s'", tmpdir);
    free(volumes_dir);
    free(driver_root);
    free(tmpdir);
    return 0;
}

static void upgrade_driver(void)
{
    run_ok("%s/bin/nvd-sim init %s --profile k80x2 --driver-version 390.48 >/dev/null",
           build_root, driver_root);
}

/* Stop the plugin and start a new one on the same directories, as a restart does. */
static void restart_plugin(void)
{
    plugin_destroy(&plugin);
    plugin_init(&plugin, &options);
}

/* POST {"Name":name,"ID":id} to path and return the reply body; the caller frees it. */
static char *call(const char *path, const char *name, const char *id)
{
    cleanup_free char *body = id ? nvd_xasprintf("{\"Name\":\"%s\",\"ID\":\"%s\"}", name, id)
                                 : nvd_xasprintf("{\"Name\":\"%s\"}", name);
    struct request req = {
        .method = "POST", .path = path, .query = "", .accept = DOCKER_ACCEPT,
        .body = body, .body_len = strlen(body),
    };
    struct reply reply = {0};

    volume_api_dispatch(&plugin, &req, &reply);
    assert_int_equal(reply.status, 200);
    assert_non_null(reply.owned_body);
    return reply.owned_body;
}

/* Call path and compare the reply with want. */
static void expect_call(const char *path, const char *name, const char *id, const char *want)
{
    cleanup_free char *got = call(path, name, id);

    assert_string_equal(got, want);
}

/* The Mount, Path or Get reply for a volume served from the directory of version. */
static char *mountpoint_reply(const char *version)
{
    return nvd_xasprintf("{\"Mountpoint\":\"%s/nvidia_driver/%s\",\"Err\":null}\n",
                         volumes_dir, version);
}

static bool version_dir_exists(const char *version)
{
    cleanup_free char *path = nvd_xasprintf("%s/nvidia_driver/%s", volumes_dir, version);
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void upgrade_serves_current_files(void **state)
{
    cleanup_free char *old_reply = mountpoint_reply("375.66");
    cleanup_free char *new_reply = mountpoint_reply("390.48");

    expect_call("/VolumeDriver.Create", OLD_NAME, NULL, "{\"Err\":null}\n");
    expect_call("/VolumeDriver.Mount", OLD_NAME, "running", old_reply);
    upgrade_driver();

    /* Mount, Path and Get of the old name build and serve the new driver's volume. */
    expect_call("/VolumeDriver.Mount", OLD_NAME, "created", new_reply);
    assert_true(version_dir_exists("390.48"));
    cleanup_free char *smi = nvd_xasprintf("%s/nvidia_driver/390.48/bin/nvidia-smi", volumes_dir);
    struct stat st;
    assert_int_equal(stat(smi, &st), 0);
    expect_call("/VolumeDriver.Path", OLD_NAME, NULL, new_reply);
    cleanup_free char *get_reply = nvd_xasprintf(
        "{\"Volume\":{\"Name\":\"" OLD_NAME "\",\"Mountpoint\":\"%s/nvidia_driver/390.48\"},"
        "\"Err\":null}\n", volumes_dir);
    expect_call("/VolumeDriver.Get", OLD_NAME, NULL, get_reply);

    /* Create still accepts only the current version. */
    expect_call("/VolumeDriver.Create", OLD_NAME, NULL,
                "{\"Err\":\"invalid volume version: " OLD_NAME "\"}\n");
    expect_call("/VolumeDriver.Create", NEW_NAME, NULL, "{\"Err\":null}\n");

    /* The old directory stays while the container started before the upgrade runs. */
    expect_call("/VolumeDriver.Unmount", OLD_NAME, "created", "{\"Err\":null}\n");
    assert_true(version_dir_exists("375.66"));
    expect_call("/VolumeDriver.Unmount", OLD_NAME, "running", "{\"Err\":null}\n");
    assert_false(version_dir_exists("375.66"));
    assert_true(version_dir_exists("390.48"));

    /* The old name that Docker created stays listed, served from the new directory. */
    cleanup_free char *list = nvd_xasprintf(
        "{\"Volumes\":["
        "{\"Name\":\"" OLD_NAME "\",\"Mountpoint\":\"%s/nvidia_driver/390.48\"},"
        "{\"Name\":\"" NEW_NAME "\",\"Mountpoint\":\"%s/nvidia_driver/390.48\"}"
        "],\"Err\":null}\n", volumes_dir, volumes_dir);
    expect_call("/VolumeDriver.List", "", NULL, list);
}

static void remove_mounted_volume_fails(void **state)
{
    cleanup_free char *reply = mountpoint_reply("375.66");

    expect_call("/VolumeDriver.Create", OLD_NAME, NULL, "{\"Err\":null}\n");
    expect_call("/VolumeDriver.Mount", OLD_NAME, "c1", reply);
    expect_call("/VolumeDriver.Mount", OLD_NAME, "c2", reply);
    expect_call("/VolumeDriver.Remove", OLD_NAME, NULL,
                "{\"Err\":\"volume " OLD_NAME " is in use by 2 containers: remove them first\"}\n");
    assert_true(version_dir_exists("375.66"));

    expect_call("/VolumeDriver.Unmount", OLD_NAME, "c1", "{\"Err\":null}\n");
    expect_call("/VolumeDriver.Remove", OLD_NAME, NULL,
                "{\"Err\":\"volume " OLD_NAME " is in use by 1 containers: remove them first\"}\n");
    expect_call("/VolumeDriver.Unmount", OLD_NAME, "c2", "{\"Err\":null}\n");
    /* The current volume stays after its last unmount, and Remove deletes it. */
    assert_true(version_dir_exists("375.66"));
    expect_call("/VolumeDriver.Remove", OLD_NAME, NULL, "{\"Err\":null}\n");
    assert_false(version_dir_exists("375.66"));
    expect_call("/VolumeDriver.List", "", NULL, "{\"Volumes\":null,\"Err\":null}\n");

    /* Used again, it is built again. */
    expect_call("/VolumeDriver.Mount", OLD_NAME, "c3", reply);
    assert_true(version_dir_exists("375.66"));
}

static void mounts_survive_restart(void **state)
{
    cleanup_free char *reply = mountpoint_reply("375.66");

    expect_call("/VolumeDriver.Mount", OLD_NAME, "c1", reply);
    restart_plugin();
    expect_call("/VolumeDriver.Remove", OLD_NAME, NULL,
                "{\"Err\":\"volume " OLD_NAME " is in use by 1 containers: remove them first\"}\n");

    /* After an upgrade and a restart, the mounted old directory is kept at start. */
    upgrade_driver();
    restart_plugin();
    volume_cleanup_at_start(&plugin);
    assert_true(version_dir_exists("375.66"));
    expect_call("/VolumeDriver.Unmount", OLD_NAME, "c1", "{\"Err\":null}\n");
    assert_false(version_dir_exists("375.66"));
    expect_call("/VolumeDriver.Remove", OLD_NAME, NULL, "{\"Err\":null}\n");
}

static void unmount_unknown_id_succeeds(void **state)
{
    expect_call("/VolumeDriver.Unmount", OLD_NAME, "never-mounted", "{\"Err\":null}\n");
}

static void remove_old_name_keeps_current(void **state)
{
    run_ok("mkdir -p '%s/nvidia_driver/361.42/lib64'", volumes_dir);
    expect_call("/VolumeDriver.Create", OLD_NAME, NULL, "{\"Err\":null}\n");
    expect_call("/VolumeDriver.Remove", "nvidia_driver_361.42", NULL, "{\"Err\":null}\n");
    assert_false(version_dir_exists("361.42"));
    assert_true(version_dir_exists("375.66"));
}

static void start_cleans_volumes_dir(void **state)
{
    /* A build killed mid-way, an unused old version, and a mounted old version. */
    run_ok("mkdir -p '%s/.build-375.66-AbC123/lib64' '%s/nvidia_driver/361.42/bin' "
           "'%s/nvidia_driver/352.99/bin' '%s/nvidia_driver/375.66/bin'",
           volumes_dir, volumes_dir, volumes_dir, volumes_dir);
    run_ok("printf '%%s' '{\"Volumes\":[],\"Mounts\":[{\"Name\":\"nvidia_driver_352.99\","
           "\"ID\":\"c1\",\"Version\":\"352.99\"}]}' >'%s/mounts.json'", volumes_dir);

    volume_cleanup_at_start(&plugin);
    cleanup_free char *build = nvd_xasprintf("%s/.build-375.66-AbC123", volumes_dir);
    struct stat st;
    assert_int_equal(stat(build, &st), -1);
    assert_false(version_dir_exists("361.42"));
    assert_true(version_dir_exists("352.99"));
    assert_true(version_dir_exists("375.66"));
}

static void start_creates_base_dir(void **state)
{
    cleanup_free char *base = nvd_xasprintf("%s/nvidia_driver", volumes_dir);
    struct stat st;

    run_ok("mkdir -p '%s'", volumes_dir);
    volume_cleanup_at_start(&plugin);
    assert_int_equal(stat(base, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0755);

    /* The first Create builds into it. */
    expect_call("/VolumeDriver.Create", OLD_NAME, NULL, "{\"Err\":null}\n");
    assert_true(version_dir_exists("375.66"));
}

static void corrupt_state_file_reported(void **state)
{
    run_ok("mkdir -p '%s' && echo '{\"Mounts\":[' >'%s/mounts.json'", volumes_dir, volumes_dir);
    cleanup_free char *got = call("/VolumeDriver.Mount", OLD_NAME, "c1");

    if (!strstr(got, "mounts.json") || !strstr(got, "fix or delete the file"))
        fail_msg("reply '%s' does not name the state file and the fix", got);
    assert_true(strncmp(got, "{\"Mountpoint\":null,", 19) == 0);

    /* Start-up deletes no version directory when the state is unreadable. */
    run_ok("mkdir -p '%s/nvidia_driver/361.42'", volumes_dir);
    volume_cleanup_at_start(&plugin);
    assert_true(version_dir_exists("361.42"));
}

static void soname_links_reuse_root_symlinks(void **state)
{
    cleanup_free char *in_volume = nvd_xasprintf("%s/nvidia_driver/375.66/lib64/libcuda.so.1",
                                                 volumes_dir);
    cleanup_free char *in_root = nvd_xasprintf("%s/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                                               driver_root);
    struct stat volume_st;
    struct stat root_st;
    char target[256];

    expect_call("/VolumeDriver.Create", OLD_NAME, NULL, "{\"Err\":null}\n");
    assert_int_equal(lstat(in_volume, &volume_st), 0);
    assert_int_equal(lstat(in_root, &root_st), 0);
    assert_true(S_ISLNK(volume_st.st_mode));
    /* The driver's own symlink is hard-linked, so the build allocates no inode for it. */
    assert_int_equal(volume_st.st_ino, root_st.st_ino);
    ssize_t n = readlink(in_volume, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "libcuda.so.375.66");
}

static void state_file_round_trip(void **state)
{
    struct volume_state saved = {0};
    cleanup_volume_state struct volume_state loaded = {0};

    volume_state_add_name(&saved, NEW_NAME);
    volume_state_add_name(&saved, OLD_NAME);
    volume_state_add_name(&saved, OLD_NAME);
    assert_true(volume_state_add_mount(&saved, OLD_NAME, "c1", "390.48"));
    assert_false(volume_state_add_mount(&saved, OLD_NAME, "c1", "390.48"));
    assert_true(volume_state_add_mount(&saved, NEW_NAME, "c2", "390.48"));
    assert_int_equal(volume_state_save(volumes_dir, &saved, NULL), 0);
    volume_state_clear(&saved);

    assert_int_equal(volume_state_load(volumes_dir, &loaded, NULL), 0);
    assert_int_equal(loaded.name_count, 2);
    assert_string_equal(loaded.names[0], OLD_NAME);
    assert_string_equal(loaded.names[1], NEW_NAME);
    assert_int_equal(loaded.mount_count, 2);
    assert_int_equal(volume_state_mounts_of(&loaded, OLD_NAME), 1);
    assert_true(volume_state_version_in_use(&loaded, "390.48"));
    assert_false(volume_state_version_in_use(&loaded, "375.66"));
    assert_true(volume_state_remove_mount(&loaded, OLD_NAME, "c1"));
    assert_false(volume_state_remove_mount(&loaded, OLD_NAME, "c1"));
    assert_int_equal(volume_state_mounts_of(&loaded, OLD_NAME), 0);
}

static void state_file_large_round_trip(void **state)
{
    cleanup_volume_state struct volume_state saved = {0};
    cleanup_volume_state struct volume_state loaded = {0};
    char id[80];

    /* Over 64 KiB of JSON, so the load takes more than one read. */
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof(id), "%064d", i);
        assert_true(volume_state_add_mount(&saved, OLD_NAME, id, "390.48"));
    }
    assert_int_equal(volume_state_save(volumes_dir, &saved, NULL), 0);
    run_ok("test $(stat -c %%s '%s/mounts.json') -gt 65536", volumes_dir);

    assert_int_equal(volume_state_load(volumes_dir, &loaded, NULL), 0);
    assert_int_equal(loaded.mount_count, 1000);
    assert_int_equal(volume_state_mounts_of(&loaded, OLD_NAME), 1000);
    assert_string_equal(loaded.mounts[999].id, id);
}

static void state_file_saved_into_missing_dir(void **state)
{
    cleanup_volume_state struct volume_state saved = {0};
    cleanup_volume_state struct volume_state loaded = {0};
    cleanup_free char *dir = nvd_xasprintf("%s/missing/volumes", tmpdir);

    volume_state_add_name(&saved, NEW_NAME);
    assert_int_equal(volume_state_save(dir, &saved, NULL), 0);
    assert_int_equal(volume_state_load(dir, &loaded, NULL), 0);
    assert_int_equal(loaded.name_count, 1);
    assert_string_equal(loaded.names[0], NEW_NAME);
    run_ok("test -z \"$(ls -A '%s' | grep -v '^mounts.json$')\"", dir);
}

static void state_file_full_disk_names_space(void **state)
{
    cleanup_volume_state struct volume_state saved = {0};
    cleanup_volume_state struct volume_state loaded = {0};
    cleanup_error nvd_error *err = NULL;

    run_ok("mkdir -p '%s'", volumes_dir);
    if (mount("tmpfs", volumes_dir, "tmpfs", 0, "size=64k") < 0)
        skip();
    assert_true(volume_state_add_mount(&saved, OLD_NAME, "c1", "390.48"));
    assert_int_equal(volume_state_save(volumes_dir, &saved, NULL), 0);
    run_ok("dd if=/dev/zero of='%s/fill' bs=4k 2>/dev/null || true", volumes_dir);

    assert_true(volume_state_add_mount(&saved, OLD_NAME, "c2", "390.48"));
    assert_int_equal(volume_state_save(volumes_dir, &saved, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "No space left on device"));
    cleanup_free char *hint = nvd_xasprintf("Free space on the file system of %s", volumes_dir);
    assert_non_null(strstr(err->msg, hint));
    assert_non_null(strstr(err->msg, "then retry the request"));

    /* The saved file is the previous one, and no temporary file is left. */
    assert_int_equal(volume_state_load(volumes_dir, &loaded, NULL), 0);
    assert_int_equal(loaded.mount_count, 1);
    run_ok("test -z \"$(ls -A '%s' | grep -v -e '^mounts.json$' -e '^fill$')\"", volumes_dir);
    run_ok("umount '%s'", volumes_dir);
}

static void state_file_empty_loads_nothing(void **state)
{
    cleanup_volume_state struct volume_state loaded = {0};

    run_ok("mkdir -p '%s' && : >'%s/mounts.json'", volumes_dir, volumes_dir);
    assert_int_equal(volume_state_load(volumes_dir, &loaded, NULL), 0);
    assert_int_equal(loaded.name_count, 0);
    assert_int_equal(loaded.mount_count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(upgrade_serves_current_files, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_mounted_volume_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(mounts_survive_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(unmount_unknown_id_succeeds, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_old_name_keeps_current, setup, teardown),
        cmocka_unit_test_setup_teardown(start_cleans_volumes_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_state_file_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(soname_links_reuse_root_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(state_file_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(state_file_large_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(state_file_empty_loads_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(state_file_saved_into_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(state_file_full_disk_names_space, setup, teardown),
        cmocka_unit_test_setup_teardown(start_creates_base_dir, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
