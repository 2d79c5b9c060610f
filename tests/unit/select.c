/* Unit tests for the GPU selection grammar and the --device arguments. */
#include "test_util.h"

#include "util.h"

static struct nvd_gpu gpus[] = {
    { .index = 0, .minor = 3, .uuid = "GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac", .busid = "0000:05:00.0" },
    { .index = 1, .minor = 2, .uuid = "GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d", .busid = "0000:06:00.0" },
    { .index = 2, .minor = 0, .uuid = "GPU-0b6a0000-1f9c-3d2a-8e6b-4c6a6f8f1e2d", .busid = "0000:81:00.0" },
};
static char root[] = "/";
static struct nvd_host host = {
    .driver_root = root, .dev_root = root, .driver_version = "375.66",
    .gpu_count = 3, .gpus = gpus,
};

/* A host whose GPU 1 (minor 4) is in MIG mode with MIG indexes 0, 2 and 3. */
static struct nvd_mig_device migs[] = {
    { .index = 0, .uuid = "MIG-1e370be7-ba4b-581f-3645-8eeae913de8b", .gpu_instance = 1,
      .compute_instance = 0, .gi_cap_minor = 552, .ci_cap_minor = 553 },
    { .index = 2, .uuid = "MIG-1e3799aa-ba4b-581f-3645-8eeae913de8b", .gpu_instance = 1,
      .compute_instance = 1, .gi_cap_minor = 552, .ci_cap_minor = 554 },
    { .index = 3, .uuid = "MIG-c6c03d06-15af-57f5-78b1-177b2d92bb35", .gpu_instance = 2,
      .compute_instance = 0, .gi_cap_minor = 561, .ci_cap_minor = 562 },
};
static struct nvd_gpu mig_gpus[] = {
    { .index = 0, .minor = 0, .uuid = "GPU-4c586a28-bfff-e537-f867-c98046afdc04", .busid = "0000:07:00.0",
      .mig_mode = -1 },
    { .index = 1, .minor = 4, .uuid = "GPU-6da8437f-274b-81f7-82e6-14075f88b644", .busid = "0000:0f:00.0",
      .mig_mode = 1, .mig_count = 3, .migs = migs },
};
static struct nvd_host mig_host = {
    .driver_root = root, .dev_root = root, .driver_version = "550.54.15",
    .gpu_count = 2, .gpus = mig_gpus,
};

/* One entry of a selection: a GPU position and a MIG position or NVD_SELECT_WHOLE_GPU. */
struct entry {
    size_t gpu, mig;
};

#define WHOLE NVD_SELECT_WHOLE_GPU

/* Select spec on mig_host and compare the result with the expected entries. */
static void expect_mig(const char *spec, size_t n, const struct entry *want)
{
    struct nvd_selection sel;
    nvd_error *err = NULL;

    if (nvd_select(&mig_host, spec, " ,", true, &sel, &err) < 0)
        fail_msg("select '%s' failed: %s", spec, err->msg);
    assert_int_equal(sel.mode, NVD_SELECT_GPUS);
    assert_int_equal(sel.count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sel.gpus[i], want[i].gpu);
        assert_int_equal(sel.migs[i], want[i].mig);
    }
    nvd_selection_clear(&sel);
}

/* Select spec on mig_host and check that it fails with a message containing text. */
static void expect_mig_error(const char *spec, const char *text)
{
    struct nvd_selection sel;
    nvd_error *err = NULL;

    assert_int_equal(nvd_select(&mig_host, spec, " ,", true, &sel, &err), -1);
    assert_int_equal(err->kind, NVD_ERR_INVALID);
    if (!strstr(err->msg, text))
        fail_msg("select '%s': message '%s' lacks '%s'", spec, err->msg, text);
    nvd_error_free(err);
}

/* Select spec and compare the result with the expected GPU indexes. */
static void expect(const char *spec, const char *seps, size_t n, const size_t *want)
{
    struct nvd_selection sel;
    nvd_error *err = NULL;

    if (nvd_select(&host, spec, seps, true, &sel, &err) < 0)
        fail_msg("select '%s' failed: %s", spec, err->msg);
    assert_int_equal(sel.mode, NVD_SELECT_GPUS);
    assert_int_equal(sel.count, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sel.gpus[i], want[i]);
    nvd_selection_clear(&sel);
}

/* Select spec and check that it fails with a message containing text. */
static void expect_error(const char *spec, const char *text)
{
    struct nvd_selection sel;
    nvd_error *err = NULL;

    assert_int_equal(nvd_select(&host, spec, " ,", false, &sel, &err), -1);
    assert_int_equal(err->kind, NVD_ERR_INVALID);
    if (!strstr(err->msg, text))
        fail_msg("select '%s': message '%s' lacks '%s'", spec, err->msg, text);
    nvd_error_free(err);
}

static void select_all_forms(void **state)
{
    static const size_t all[] = { 0, 1, 2 };
    expect(NULL, " ", 3, all);
    expect("", " ", 3, all);
    expect("all", " ", 3, all);
    expect("*", " ", 3, all);
    expect(" , ", " ,", 3, all);
}

static void select_indexes_in_order(void **state)
{
    static const size_t want[] = { 2, 0 };
    expect("2,0", " ,", 2, want);
    expect("2 0 2", " ", 2, want);
    expect("+2,00", " ,", 2, want);
}

static void select_uuid_and_prefix(void **state)
{
    static const size_t one[] = { 1 };
    static const size_t zero[] = { 0 };
    expect("GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d", " ", 1, one);
    expect("GPU-0b6a8", " ", 1, one);
    expect("gpu-8E80", " ", 1, zero);
}

static void select_pci_bus_id(void **state)
{
    static const size_t two[] = { 2 };
    expect("0000:81:00.0", " ", 1, two);
    expect("00000000:81:00.0", " ", 1, two);
    expect("81:00.0", " ", 1, two);
}

static void select_none_and_void(void **state)
{
    struct nvd_selection sel;
    nvd_error *err = NULL;

    assert_int_equal(nvd_select(&host, "none", " ", true, &sel, &err), 0);
    assert_int_equal(sel.mode, NVD_SELECT_NONE);
    assert_int_equal(sel.count, 0);
    nvd_selection_clear(&sel);
    assert_int_equal(nvd_select(&host, "void", " ", true, &sel, &err), 0);
    assert_int_equal(sel.mode, NVD_SELECT_VOID);
    nvd_selection_clear(&sel);
}

static void select_rejects_bad_pieces(void **state)
{
    expect_error("9", "invalid device: 9");
    expect_error("-1", "invalid device: -1");
    expect_error("0,x", "invalid device: x");
    expect_error("GPU-0b6a", "matches GPU 1 and GPU 2");
    expect_error("GPU-ffff", "invalid device: GPU-ffff");
    expect_error("*", "invalid device: *");
    expect_error("0,all", "cannot be combined");
    expect_error("all,all", "cannot be combined");
    expect_error("none 1", "cannot be combined");
    expect_error("99999999999999999999999", "invalid device: 99999999999999999999999");
}

static void select_rejects_huge_piece(void **state)
{
    char spec[1024];
    memset(spec, '7', sizeof(spec) - 1);
    spec[sizeof(spec) - 1] = '\0';
    expect_error(spec, "longer than");
}

static void docker_args_for_selection(void **state)
{
    struct nvd_selection sel;
    struct nvd_docker_args args;
    nvd_error *err = NULL;

    assert_int_equal(nvd_select(&host, "1", " ", true, &sel, &err), 0);
    assert_int_equal(nvd_docker_args_collect(&host, &sel, &args, &err), 0);
    /* nvidiactl and nvidia-uvm always, nvidia-uvm-tools only where it exists */
    assert_string_equal(args.devices[0], "/dev/nvidiactl");
    assert_string_equal(args.devices[1], "/dev/nvidia-uvm");
    assert_string_equal(args.devices[args.device_count - 1], "/dev/nvidia2");
    assert_int_equal(args.volume_count, 1);
    assert_string_equal(args.volumes[0], "nvidia_driver_375.66");
    nvd_docker_args_clear(&args);
    nvd_selection_clear(&sel);

    assert_int_equal(nvd_select(&host, "void", " ", true, &sel, &err), 0);
    assert_int_equal(nvd_docker_args_collect(&host, &sel, &args, &err), 0);
    assert_int_equal(args.device_count, 0);
    assert_int_equal(args.volume_count, 0);
    nvd_docker_args_clear(&args);
    nvd_selection_clear(&sel);
}

static void select_index_after_left_out_gpu(void **state)
{
    /* NVML GPU 1 could not be described, so host->gpus contains GPUs 0 and 2. */
    struct nvd_gpu gap_gpus[] = { gpus[0], gpus[2] };
    struct nvd_host gap = host;
    struct nvd_selection sel;
    nvd_error *err = NULL;

    gap_gpus[1].index = 2;
    gap.gpus = gap_gpus;
    gap.gpu_count = 2;
    assert_int_equal(nvd_select(&gap, "2", " ", true, &sel, &err), 0);
    assert_int_equal(sel.count, 1);
    assert_int_equal(sel.gpus[0], 1);
    nvd_selection_clear(&sel);
    assert_int_equal(nvd_select(&gap, "1", " ", true, &sel, &err), -1);
    assert_string_equal(err->msg, "invalid device: 1");
    nvd_error_free(err);
}

static void select_mig_table(void **state)
{
    static const struct {
        const char *spec;
        size_t count;
        struct entry want[3];
    } cases[] = {
        /* "all" is every whole GPU, without MIG devices. */
        { "all", 2, { { 0, WHOLE }, { 1, WHOLE } } },
        { "1:0", 1, { { 1, 0 } } },
        { "1:2", 1, { { 1, 1 } } },
        { "1:3,1:0", 2, { { 1, 2 }, { 1, 0 } } },
        { "MIG-c6c03d06-15af-57f5-78b1-177b2d92bb35", 1, { { 1, 2 } } },
        { "mig-C6C03D06", 1, { { 1, 2 } } },
        { "MIG-1e370b", 1, { { 1, 0 } } },
        { "MIG-GPU-6da8437f-274b-81f7-82e6-14075f88b644/1/1", 1, { { 1, 1 } } },
        /* a MIG device and its whole GPU are two entries; duplicates go */
        { "1:0 1 1:0 MIG-1e370be7", 2, { { 1, 0 }, { 1, WHOLE } } },
        { "0,1:3", 2, { { 0, WHOLE }, { 1, 2 } } },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_mig(cases[i].spec, cases[i].count, cases[i].want);
}

static void select_mig_rejects_unknown(void **state)
{
    expect_mig_error("1:9", "invalid device: 1:9");
    expect_mig_error("1:1", "invalid device: 1:1");           /* a gap in the MIG indexes */
    expect_mig_error("0:0", "invalid device: 0:0");           /* GPU 0 is not in MIG mode */
    expect_mig_error("7:0", "invalid device: 7:0");
    expect_mig_error("1:", "invalid device: 1:");
    expect_mig_error(":0", "invalid device: :0");
    expect_mig_error("1:-0", "invalid device: 1:-0");
    expect_mig_error("MIG-1e37", "matches MIG device 1:0 and MIG device 1:2");
    expect_mig_error("MIG-ffff", "invalid device: MIG-ffff");
    expect_mig_error("MIG-GPU-6da8437f-274b-81f7-82e6-14075f88b644/1/7",
                     "invalid device: MIG-GPU-6da8437f-274b-81f7-82e6-14075f88b644/1/7");
    expect_mig_error("MIG-GPU-6da8437f/1/0", "invalid device: MIG-GPU-6da8437f/1/0");
    expect_mig_error("MIG-GPU-6da8437f-274b-81f7-82e6-14075f88b644/1/0/", "invalid device");
    expect_mig_error("MIG-GPU-", "invalid device: MIG-GPU-");
    expect_mig_error("MIG-", "the prefix matches MIG device 1:0 and MIG device 1:2");
    expect_mig_error("1:99999999999999999999", "invalid device: 1:99999999999999999999");
}

/* Collect the docker arguments of spec on mig_host and compare the device list. */
static void expect_mig_devices(const char *spec, size_t n, const char *const *want)
{
    struct nvd_selection sel;
    struct nvd_docker_args args;
    nvd_error *err = NULL;

    assert_int_equal(nvd_select(&mig_host, spec, " ", true, &sel, &err), 0);
    assert_int_equal(nvd_docker_args_collect(&mig_host, &sel, &args, &err), 0);
    /* nvidiactl and nvidia-uvm, then nvidia-uvm-tools where this host has it */
    size_t control = args.device_count - n;
    assert_true(control == 2 || control == 3);
    assert_string_equal(args.devices[0], "/dev/nvidiactl");
    for (size_t i = 0; i < n; i++)
        assert_string_equal(args.devices[control + i], want[i]);
    nvd_docker_args_clear(&args);
    nvd_selection_clear(&sel);
}

static void docker_args_for_mig_devices(void **state)
{
    static const char *const one[] = {
        "/dev/nvidia4", "/dev/nvidia-caps/nvidia-cap552", "/dev/nvidia-caps/nvidia-cap553",
    };
    /* Two compute instances of one GPU instance share its node and their GPU's. */
    static const char *const shared[] = {
        "/dev/nvidia4", "/dev/nvidia-caps/nvidia-cap552", "/dev/nvidia-caps/nvidia-cap554",
        "/dev/nvidia-caps/nvidia-cap553",
    };
    static const char *const whole_and_mig[] = {
        "/dev/nvidia0", "/dev/nvidia4", "/dev/nvidia-caps/nvidia-cap561",
        "/dev/nvidia-caps/nvidia-cap562",
    };
    static const char *const all[] = { "/dev/nvidia0", "/dev/nvidia4" };

    expect_mig_devices("1:0", 3, one);
    expect_mig_devices("1:2 1:0", 4, shared);
    expect_mig_devices("0 1:3 1", 4, whole_and_mig);
    expect_mig_devices("all", 2, all);
}

static void device_arg_with_dev_root(void **state)
{
    char buf[128];

    assert_int_equal(nvd_format_device_arg("/", "/dev/nvidia0", buf, sizeof(buf)), 21);
    assert_string_equal(buf, "--device=/dev/nvidia0");
    nvd_format_device_arg("/run/nvidia/driver/", "/dev/nvidia0", buf, sizeof(buf));
    assert_string_equal(buf, "--device=/run/nvidia/driver/dev/nvidia0:/dev/nvidia0");
    assert_int_equal(nvd_format_device_arg("/very/long/root", "/dev/nvidia0", buf, 10), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(select_all_forms),
        cmocka_unit_test(select_indexes_in_order),
        cmocka_unit_test(select_uuid_and_prefix),
        cmocka_unit_test(select_pci_bus_id),
        cmocka_unit_test(select_none_and_void),
        cmocka_unit_test(select_rejects_bad_pieces),
        cmocka_unit_test(select_rejects_huge_piece),
        cmocka_unit_test(docker_args_for_selection),
        cmocka_unit_test(select_index_after_left_out_gpu),
        cmocka_unit_test(device_arg_with_dev_root),
        cmocka_unit_test(select_mig_table),
        cmocka_unit_test(select_mig_rejects_unknown),
        cmocka_unit_test(docker_args_for_mig_devices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
