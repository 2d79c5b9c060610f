/*
 * Unit tests for the CDI spec generator (cdi.c) on hosts built in memory.
 * They cover the device list, the device nodes with and without a dev
 * root, the common edits, names that CDI rejects, a host without GPUs, and
 * the atomic write and removal of the spec file. The golden files of
 * plugin_golden cover the specs of the nvd-sim profiles.
 */
#include "test_util.h"

#include <errno.h>
#include <jansson.h>
#include <sys/stat.h>

#include "golden.h"
#include "util.h"

#define VOLUME_DIR "/var/lib/nvidia-docker/volumes/nvidia_driver/375.66"

/* Return the k80x2 host of golden.h with "/" as its driver and dev roots. */
static struct nvd_host test_host(void)
{
    static char slash[] = "/";
    struct nvd_host host = k80x2_host();

    host.driver_root = slash;
    host.dev_root = slash;
    return host;
}

/* Create an empty file at dir/name, standing for a device node. */
static void touch(const char *dir, const char *name)
{
    cleanup_free char *path = nvd_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fclose(f);
}

/* Make a dev root under a new temporary directory with the given nodes in dev/. */
static char *make_dev_root(const char *const *nodes)
{
    char *root = make_tmpdir();
    cleanup_free char *dev = nvd_xasprintf("%s/dev", root);

    assert_int_equal(mkdir(dev, 0755), 0);
    for (; *nodes; nodes++)
        touch(dev, *nodes);
    return root;
}

/* Render host's spec and parse it; fail the test when either fails. */
static json_t *render_parsed(const struct nvd_host *host)
{
    nvd_error *err = NULL;
    cleanup_free char *text = nvd_render_cdi_spec(host, VOLUME_DIR, &err);
    json_error_t json_err;

    if (!text)
        fail_msg("nvd_render_cdi_spec: %s", err->msg);
    assert_int_equal(text[strlen(text) - 1], '\n');
    json_t *spec = json_loads(text, 0, &json_err);
    if (!spec)
        fail_msg("the spec is not JSON: %s\n%s", json_err.text, text);
    return spec;
}

static const char *string_at(const json_t *object, const char *key)
{
    const char *s = json_string_value(json_object_get(object, key));

    if (!s)
        fail_msg("no string member %s", key);
    return s;
}

/* Return the device nodes of edits as "path" or "path<hostPath" lines. */
static char *nodes_text(const json_t *edits)
{
    const json_t *nodes = json_object_get(edits, "deviceNodes");
    struct nvd_buf b = {0};
    size_t i;
    json_t *node;

    assert_true(json_is_array(nodes));
    json_array_foreach(nodes, i, node) {
        const json_t *host_path = json_object_get(node, "hostPath");
        nvd_buf_puts(&b, string_at(node, "path"));
        if (host_path)
            nvd_buf_printf(&b, "<%s", json_string_value(host_path));
        nvd_buf_puts(&b, "\n");
    }
    return b.data ? nvd_buf_steal(&b) : nvd_xstrdup("");
}

/* Return the nodes of the device called name. */
static char *device_nodes(const json_t *spec, const char *name)
{
    const json_t *devices = json_object_get(spec, "devices");
    size_t i;
    json_t *device;

    json_array_foreach(devices, i, device) {
        if (strcmp(string_at(device, "name"), name) == 0)
            return nodes_text(json_object_get(device, "containerEdits"));
    }
    fail_msg("no device %s in the spec", name);
    return NULL;
}

static void cdi_spec_header_and_names(void **state)
{
    static const char *const nodes[] = { NULL };
    cleanup_free char *root = make_dev_root(nodes);
    struct nvd_host host = test_host();
    static const char *const want[] = {
        "0", "GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac",
        "1", "GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d", "all",
    };

    host.dev_root = root;
    json_t *spec = render_parsed(&host);
    assert_string_equal(string_at(spec, "cdiVersion"), "0.5.0");
    assert_string_equal(string_at(spec, "kind"), "nvidia.com/gpu");

    const json_t *devices = json_object_get(spec, "devices");
    assert_int_equal(json_array_size(devices), sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(string_at(json_array_get(devices, i), "name"), want[i]);

    json_decref(spec);
    run_ok("rm -rf '%s'", root);
}

static void cdi_device_nodes_with_dev_root(void **state)
{
    static const char *const nodes[] = {
        "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset", "nvidia0", "nvidia1", NULL,
    };
    cleanup_free char *root = make_dev_root(nodes);
    struct nvd_host host = test_host();

    host.dev_root = root;
    host.gpus[1].minor = 3;   /* the node follows the minor number, not the index */
    json_t *spec = render_parsed(&host);

    cleanup_free char *gpu0 = nvd_xasprintf("/dev/nvidia0<%s/dev/nvidia0\n", root);
    cleanup_free char *gpu1 = nvd_xasprintf("/dev/nvidia3<%s/dev/nvidia3\n", root);
    cleanup_free char *all = nvd_xasprintf("%s%s", gpu0, gpu1);
    cleanup_free char *got0 = device_nodes(spec, "0");
    cleanup_free char *got_uuid0 = device_nodes(spec, "GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac");
    cleanup_free char *got1 = device_nodes(spec, "1");
    cleanup_free char *got_all = device_nodes(spec, "all");
    assert_string_equal(got0, gpu0);
    assert_string_equal(got_uuid0, gpu0);
    assert_string_equal(got1, gpu1);
    assert_string_equal(got_all, all);

    const json_t *edits = json_object_get(spec, "containerEdits");
    cleanup_free char *common = nodes_text(edits);
    cleanup_free char *want_common = nvd_xasprintf(
        "/dev/nvidiactl<%s/dev/nvidiactl\n/dev/nvidia-uvm<%s/dev/nvidia-uvm\n"
        "/dev/nvidia-uvm-tools<%s/dev/nvidia-uvm-tools\n/dev/nvidia-modeset<%s/dev/nvidia-modeset\n",
        root, root, root, root);
    assert_string_equal(common, want_common);

    json_decref(spec);
    run_ok("rm -rf '%s'", root);
}

static void cdi_common_edits_without_dev_root(void **state)
{
    struct nvd_host host = test_host();

    json_t *spec = render_parsed(&host);
    const json_t *edits = json_object_get(spec, "containerEdits");
    cleanup_free char *common = nodes_text(edits);
    cleanup_free char *gpu0 = device_nodes(spec, "0");

    /* Without a dev root, no node has a hostPath; the optional ones depend on this host. */
    assert_string_equal(gpu0, "/dev/nvidia0\n");
    assert_int_equal(strncmp(common, "/dev/nvidiactl\n/dev/nvidia-uvm\n", 30), 0);
    assert_null(strchr(common, '<'));

    const json_t *env = json_object_get(edits, "env");
    assert_int_equal(json_array_size(env), 1);
    assert_string_equal(json_string_value(json_array_get(env, 0)), "NVIDIA_VISIBLE_DEVICES=void");

    const json_t *mounts = json_object_get(edits, "mounts");
    assert_int_equal(json_array_size(mounts), 1);
    const json_t *mount = json_array_get(mounts, 0);
    assert_string_equal(string_at(mount, "hostPath"), VOLUME_DIR);
    assert_string_equal(string_at(mount, "containerPath"), "/usr/local/nvidia");
    assert_string_equal(string_at(mount, "type"), "bind");
    const json_t *options = json_object_get(mount, "options");
    assert_string_equal(json_string_value(json_array_get(options, 0)), "ro");

    json_decref(spec);
}

static void cdi_invalid_uuid_left_out(void **state)
{
    struct nvd_host host = test_host();
    snprintf(host.gpus[1].uuid, sizeof(host.gpus[1].uuid), "GPU-bad uuid");
    json_t *spec = render_parsed(&host);
    const json_t *devices = json_object_get(spec, "devices");

    /* 0, its UUID, 1 (its UUID left out), all. */
    assert_int_equal(json_array_size(devices), 4);
    assert_string_equal(string_at(json_array_get(devices, 2), "name"), "1");
    json_decref(spec);
}

static void cdi_no_gpu_fails(void **state)
{
    struct nvd_host host = test_host();
    nvd_error *err = NULL;

    host.gpu_count = 0;
    assert_null(nvd_render_cdi_spec(&host, VOLUME_DIR, &err));
    assert_non_null(err);
    assert_int_equal(err->kind, NVD_ERR_NOT_FOUND);
    assert_non_null(strstr(err->msg, "no GPU found"));
    nvd_error_free(err);
}

/* Count the entries of dir other than . and .. */
static size_t count_entries(const char *dir)
{
    cleanup_dir DIR *d = opendir(dir);
    struct dirent *entry;
    size_t n = 0;

    assert_non_null(d);
    while ((entry = readdir(d)))
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            n++;
    return n;
}

static void cdi_write_replace_remove(void **state)
{
    cleanup_free char *tmp = make_tmpdir();
    cleanup_free char *dir = nvd_xasprintf("%s/etc/cdi", tmp);
    cleanup_free char *path = nvd_xasprintf("%s/nvidia-docker.json", dir);
    nvd_error *err = NULL;
    struct stat st;

    /* The directory is created; the file has mode 0644 and no temporary file stays. */
    assert_int_equal(nvd_cdi_write(dir, "{\"first\": 1}\n", &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    cleanup_free char *first = read_text_file(path);
    assert_string_equal(first, "{\"first\": 1}\n");

    assert_int_equal(nvd_cdi_write(dir, "{\"second\": 2}\n", &err), 0);
    cleanup_free char *second = read_text_file(path);
    assert_string_equal(second, "{\"second\": 2}\n");
    assert_int_equal(count_entries(dir), 1);

    assert_int_equal(nvd_cdi_remove(dir, &err), 0);
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(nvd_cdi_remove(dir, &err), 0);   /* already gone */

    run_ok("rm -rf '%s'", tmp);
}

static void cdi_write_unwritable_dir(void **state)
{
    cleanup_free char *tmp = make_tmpdir();
    cleanup_free char *dir = nvd_xasprintf("%s/file/cdi", tmp);
    nvd_error *err = NULL;

    touch(tmp, "file");
    assert_int_equal(nvd_cdi_write(dir, "{}\n", &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "CDI spec"));
    assert_non_null(strstr(err->msg, tmp));
    nvd_error_free(err);
    run_ok("rm -rf '%s'", tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cdi_spec_header_and_names),
        cmocka_unit_test(cdi_device_nodes_with_dev_root),
        cmocka_unit_test(cdi_common_edits_without_dev_root),
        cmocka_unit_test(cdi_invalid_uuid_left_out),
        cmocka_unit_test(cdi_no_gpu_fails),
        cmocka_unit_test(cdi_write_replace_remove),
        cmocka_unit_test(cdi_write_unwritable_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
