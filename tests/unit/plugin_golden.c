/*
 * Golden tests of the REST API: for every simulator profile under
 * sim/profiles/, the replies of each route on an nvd-sim root must equal
 * the files under tests/golden/<profile>/, and the k80x2 files must be
 * nvidia-docker 1.0's replies (plus nvd's Brand key).
 *
 * With NVD_GOLDEN_UPDATE=1 the test writes the files instead of comparing
 * them; tests/golden/regenerate runs it that way.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "golden.h"
#include "mesos_decode.h"

#include "plugin.h"

/* Stands for the simulated root's path in the golden files of /docker/cli and /cdi/json. */
#define ROOT_PLACEHOLDER "@ROOT@"
/* Stands for the volumes directory (-d) in the golden files of /cdi/json. */
#define VOLUMES_PLACEHOLDER "@VOLUMES@"

/* One REST route and the golden file of its reply. */
struct endpoint {
    const char *path;
    const char *file;
    const char *content_type;
};

static const struct endpoint endpoints[] = {
    {"/gpu/info", "gpu-info.txt", CONTENT_TYPE_TEXT},
    {"/gpu/info/json", "gpu-info.json", CONTENT_TYPE_JSON},
    {"/gpu/status", "gpu-status.txt", CONTENT_TYPE_TEXT},
    {"/gpu/status/json", "gpu-status.json", CONTENT_TYPE_JSON},
    {"/docker/cli", "docker-cli.txt", CONTENT_TYPE_TEXT},
    {"/docker/cli/json", "docker-cli.json", CONTENT_TYPE_JSON},
    {"/mesos/cli", "mesos-cli.txt", CONTENT_TYPE_TEXT},
};

#define ENDPOINT_COUNT (sizeof(endpoints) / sizeof(endpoints[0]))

/* Whether the test writes the golden files instead of comparing with them. */
static bool update_mode(void)
{
    const char *update = getenv("NVD_GOLDEN_UPDATE");
    return update && strcmp(update, "1") == 0;
}

/* Return a copy of s with every occurrence of from replaced by to. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    struct nvd_buf b = {0};
    size_t from_len = strlen(from);
    const char *hit;

    while ((hit = strstr(s, from)) != NULL) {
        nvd_buf_append(&b, s, (size_t)(hit - s));
        nvd_buf_puts(&b, to);
        s = hit + from_len;
    }
    nvd_buf_puts(&b, s);
    return nvd_buf_steal(&b);
}

/* GET path on plugin; fail unless the reply is a 200 of content_type. Returns the body. */
static char *get_ok(struct plugin *plugin, const char *path, const char *content_type)
{
    struct request req = {
        .client = "127.0.0.1:1", .method = "GET", .path = path, .query = "",
        .accept = NULL, .body = "", .body_len = 0,
    };
    struct reply reply = {0};

    rest_dispatch(plugin, &req, &reply);
    const char *body = reply.owned_body ? reply.owned_body : reply.static_body;
    if (reply.status != 200)
        fail_msg("GET %s: status %u: %s", path, reply.status, body ? body : "");
    assert_non_null(reply.content_type);
    assert_string_equal(reply.content_type, content_type);
    char *copy = nvd_xstrdup(body);
    free(reply.owned_body);
    free(reply.location);
    return copy;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/*
 * Compare two /mesos/cli replies by content: the compressed bytes depend
 * on the zlib version, so the decoded attribute and the resources are
 * compared, and the attribute must also be the profile's /gpu/info/json.
 */
static void expect_same_mesos(const char *name, const char *got, const char *want,
                              const char *info_json)
{
    struct mesos_reply got_parts = parse_mesos(got);
    struct mesos_reply want_parts = parse_mesos(want);

    if (strcmp(got_parts.json, want_parts.json) != 0)
        fail_msg("%s: /mesos/cli attribute differs:\n--- got\n%s--- want\n%s", name,
                 got_parts.json, want_parts.json);
    assert_string_equal(got_parts.json, info_json);
    assert_string_equal(got_parts.resources, want_parts.resources);
    free_mesos(&got_parts);
    free_mesos(&want_parts);
}

/* Compare one reply with its golden file, or write the file in update mode. */
static void check_reply(const char *profile, const struct endpoint *ep, const char *body,
                        const char *info_json)
{
    cleanup_free char *relative = nvd_xasprintf("%s/%s", profile, ep->file);

    if (update_mode()) {
        cleanup_free char *path = golden_path(relative);
        write_file(path, body);
        return;
    }
    cleanup_free char *want = golden_read(relative);
    if (strcmp(ep->file, "mesos-cli.txt") == 0) {
        expect_same_mesos(relative, body, want, info_json);
        return;
    }
    if (strcmp(body, want) != 0)
        fail_msg("%s differs:\n--- got\n%s\n--- want\n%s", relative, body, want);
}

/*
 * Check /cdi/json, with and without /v1.0, against cdi.json. A profile
 * without GPUs has no spec: the reply is a 500 that says so, and the
 * profile has no cdi.json.
 */
static void check_cdi_reply(struct plugin *plugin, const char *profile, const char *root,
                            const char *volumes)
{
    static const struct endpoint cdi = {"/cdi/json", "cdi.json", CONTENT_TYPE_JSON};
    cleanup_error nvd_error *err = NULL;
    struct plugin_host *ref = plugin_host_acquire(plugin, &err);
    size_t gpu_count;

    assert_non_null(ref);
    gpu_count = ref->host->gpu_count;
    plugin_host_release(ref);

    if (gpu_count == 0) {
        struct request req = {
            .client = "127.0.0.1:1", .method = "GET", .path = cdi.path, .query = "", .body = "",
        };
        struct reply reply = {0};
        cleanup_free char *relative = nvd_xasprintf("%s/%s", profile, cdi.file);
        cleanup_free char *golden = golden_path(relative);
        struct stat st;

        rest_dispatch(plugin, &req, &reply);
        assert_int_equal(reply.status, 500);
        assert_non_null(strstr(reply.owned_body, "no GPU found"));
        reply_clear(&reply);
        if (stat(golden, &st) == 0)
            fail_msg("%s exists, but profile %s has no GPU and so no CDI spec", relative, profile);
        return;
    }

    cleanup_free char *raw = get_ok(plugin, cdi.path, cdi.content_type);
    cleanup_free char *prefixed = get_ok(plugin, "/v1.0/cdi/json", cdi.content_type);
    cleanup_free char *without_volumes = replace_all(raw, volumes, VOLUMES_PLACEHOLDER);
    cleanup_free char *body = replace_all(without_volumes, root, ROOT_PLACEHOLDER);

    assert_string_equal(prefixed, raw);
    check_reply(profile, &cdi, body, NULL);
}

/* Serve the profile's nvd-sim root and check every route, with and without /v1.0. */
static void profile_replies_match(void **state)
{
    const char *profile = *state;
    const char *build = getenv("NVD_BUILD_ROOT");
    cleanup_free char *tmpdir = make_tmpdir();
    cleanup_free char *root = nvd_xasprintf("%s/root", tmpdir);
    cleanup_free char *volumes = nvd_xasprintf("%s/volumes", tmpdir);
    cleanup_free char *profile_file = nvd_xasprintf("%s/sim/profiles/%s.json",
                                                   getenv("NVD_SOURCE_ROOT"), profile);
    cleanup_free char *info_json = NULL;
    struct plugin_options options;
    struct plugin plugin;

    run_ok("%s/bin/nvd-sim init %s --profile %s >/dev/null", build ? build : "build", root, profile_file);
    if (update_mode()) {
        cleanup_free char *dir = golden_path(profile);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            fail_msg("cannot create %s", dir);
    }

    flags_set_defaults(&options);
    options.driver_root = root;
    options.volumes_dir = volumes;
    plugin_init(&plugin, &options);
    for (size_t i = 0; i < ENDPOINT_COUNT; i++) {
        const struct endpoint *ep = &endpoints[i];
        cleanup_free char *raw = get_ok(&plugin, ep->path, ep->content_type);
        cleanup_free char *prefixed_path = nvd_xasprintf("/v1.0%s", ep->path);
        cleanup_free char *prefixed = get_ok(&plugin, prefixed_path, ep->content_type);
        cleanup_free char *body = replace_all(raw, root, ROOT_PLACEHOLDER);

        assert_string_equal(prefixed, raw);
        if (strcmp(ep->file, "gpu-info.json") == 0)
            info_json = nvd_xstrdup(raw);
        check_reply(profile, ep, body, info_json);
    }
    check_cdi_reply(&plugin, profile, root, volumes);
    plugin_destroy(&plugin);
    run_ok("rm -rf '%s'", tmpdir);
}

/* Check that a k80x2 golden file of nvd equals 1.0's, after transform. */
static void expect_1_0_file(const char *file, const char *brand)
{
    cleanup_free char *nvd_relative = nvd_xasprintf("k80x2/%s", file);
    cleanup_free char *ref_relative = nvd_xasprintf(GOLDEN_1_0_DIR "/%s", file);
    cleanup_free char *nvd = golden_read(nvd_relative);
    cleanup_free char *ref = golden_read(ref_relative);
    cleanup_free char *want = brand ? json_extend_devices(ref, brand) : nvd_xstrdup(ref);

    if (strcmp(nvd, want) != 0)
        fail_msg("tests/golden/%s is not nvidia-docker 1.0's reply:\n--- nvd\n%s--- 1.0\n%s",
                 nvd_relative, nvd, want);
}

static void k80x2_goldens_are_1_0_replies(void **state)
{
    if (update_mode())
        skip();
    expect_1_0_file("gpu-info.txt", NULL);
    expect_1_0_file("gpu-info.json", ",\"Brand\":\"Tesla\"");
    expect_1_0_file("gpu-status.txt", NULL);
    expect_1_0_file("gpu-status.json", NULL);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Return the names of the profiles in sim/profiles/, sorted. */
static char **list_profiles(size_t *count)
{
    cleanup_free char *dir_path = nvd_xasprintf("%s/sim/profiles", getenv("NVD_SOURCE_ROOT"));
    DIR *dir = opendir(dir_path);
    char **names = NULL;
    struct dirent *entry;

    if (!dir) {
        fprintf(stderr, "cannot open %s: set NVD_SOURCE_ROOT\n", dir_path);
        exit(1);
    }
    *count = 0;
    while ((entry = readdir(dir)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len <= 5 || strcmp(entry->d_name + len - 5, ".json") != 0)
            continue;
        names = nvd_xrealloc(names, (*count + 1) * sizeof(*names));
        names[(*count)++] = nvd_xasprintf("%.*s", (int)(len - 5), entry->d_name);
    }
    closedir(dir);
    qsort(names, *count, sizeof(*names), compare_names);
    return names;
}

int main(void)
{
    size_t profile_count;
    char **profiles = list_profiles(&profile_count);
    struct CMUnitTest *tests = nvd_xcalloc(profile_count + 1, sizeof(*tests));

    for (size_t i = 0; i < profile_count; i++) {
        tests[i] = (struct CMUnitTest){
            .name = profiles[i],
            .test_func = profile_replies_match,
            .initial_state = profiles[i],
        };
    }
    tests[profile_count] = (struct CMUnitTest)cmocka_unit_test(k80x2_goldens_are_1_0_replies);

    int failed = _cmocka_run_group_tests("plugin_golden", tests, profile_count + 1, NULL, NULL);
    for (size_t i = 0; i < profile_count; i++)
        free(profiles[i]);
    free(profiles);
    free(tests);
    return failed;
}
