/* Unit tests for request path cleaning with the rules of Go's http.ServeMux. */
#include "test_util.h"

#include "path_clean.h"
#include "util.h"

/* Check path_clean(path) == want, and that path_is_clean() agrees. */
static void expect_clean(const char *path, const char *want)
{
    cleanup_free char *got = path_clean(path);

    if (strcmp(got, want) != 0)
        fail_msg("path_clean('%s'): expected '%s', got '%s'", path, want, got);
    bool unchanged = strcmp(path, want) == 0;
    if (path_is_clean(path) != unchanged)
        fail_msg("path_is_clean('%s') returned %d, expected %d", path, !unchanged, unchanged);
}

static void clean_paths_unchanged(void **state)
{
    expect_clean("/", "/");
    expect_clean("/gpu/info", "/gpu/info");
    expect_clean("/gpu/info/", "/gpu/info/");
    expect_clean("/v1.0/docker/cli/json", "/v1.0/docker/cli/json");
    expect_clean("/.hidden/..x/x..", "/.hidden/..x/x..");
    expect_clean("/...", "/...");
}

static void clean_repeated_slashes(void **state)
{
    expect_clean("//gpu/info", "/gpu/info");
    expect_clean("/gpu//info", "/gpu/info");
    expect_clean("/gpu/info//", "/gpu/info/");
    expect_clean("//", "/");
    expect_clean("///", "/");
}

static void clean_dot_elements(void **state)
{
    expect_clean("/gpu/./info", "/gpu/info");
    expect_clean("/./gpu/info", "/gpu/info");
    expect_clean("/gpu/info/.", "/gpu/info");
    expect_clean("/gpu/info/./", "/gpu/info/");
    expect_clean("/.", "/");
    expect_clean("/./", "/");
}

static void clean_dot_dot_elements(void **state)
{
    expect_clean("/gpu/../gpu/info", "/gpu/info");
    expect_clean("/gpu/info/..", "/gpu");
    expect_clean("/gpu/info/../", "/gpu/");
    expect_clean("/a/b/c/../../d", "/a/d");
    expect_clean("/..", "/");
    expect_clean("/../..", "/");
    expect_clean("/../gpu/info", "/gpu/info");
    expect_clean("/a/../../b/", "/b/");
}

static void clean_relative_and_empty(void **state)
{
    expect_clean("", "/");
    expect_clean("gpu/info", "/gpu/info");
    expect_clean(".", "/");
    expect_clean("..", "/");
    expect_clean("a/", "/a/");
}

/* Check that path_escape(path) appends want. */
static void expect_escape(const char *path, const char *want)
{
    struct nvd_buf b = {0};

    nvd_buf_puts(&b, "");
    path_escape(&b, path);
    assert_string_equal(b.data, want);
    nvd_buf_free(&b);
}

static void escape_keeps_path_characters(void **state)
{
    expect_escape("/gpu/info", "/gpu/info");
    expect_escape("/a-b_c.d~e", "/a-b_c.d~e");
    expect_escape("/$&+,:;=@", "/$&+,:;=@");
}

static void escape_encodes_other_bytes(void **state)
{
    expect_escape("/a b", "/a%20b");
    expect_escape("/x\n", "/x%0A");
    expect_escape("/x\r\nLocation: y", "/x%0D%0ALocation:%20y");
    expect_escape("/?#%\"<>", "/%3F%23%25%22%3C%3E");
    expect_escape("/\xc3\xa9", "/%C3%A9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_paths_unchanged),
        cmocka_unit_test(clean_repeated_slashes),
        cmocka_unit_test(clean_dot_elements),
        cmocka_unit_test(clean_dot_dot_elements),
        cmocka_unit_test(clean_relative_and_empty),
        cmocka_unit_test(escape_keeps_path_characters),
        cmocka_unit_test(escape_encodes_other_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
