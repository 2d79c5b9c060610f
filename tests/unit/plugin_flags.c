/*
 * Unit tests for the plugin's command line: Go's flag syntax, the usage
 * text and the root directory checks.
 */
#include "test_util.h"

#include "plugin.h"
#include "util.h"
#include "flags.h"

/* The usage text for argv[0] "nvidia-docker-plugin", flags sorted by name. */
static const char usage_text[] =
    "Usage of nvidia-docker-plugin:\n"
    "  -cdi-dir string\n"
    "    \tDirectory where to keep the CDI spec nvidia-docker.json current (empty means none)\n"
    "  -d string\n"
    "    \tPath where to store the volumes (default \"/var/lib/nvidia-docker/volumes\")\n"
    "  -dev-root string\n"
    "    \tRoot directory of the device nodes dev/nvidia* (empty means the driver root)\n"
    "  -driver-root string\n"
    "    \tRoot directory of the NVIDIA driver's libraries, binaries and etc/ld.so.cache (default \"/\")\n"
    "  -l string\n"
    "    \tServer listen address (default \"localhost:3476\")\n"
    "  -s string\n"
    "    \tPath to the plugin socket (default \"/run/docker/plugins\")\n"
    "  -v\tShow the plugin version information\n";

/* Output of one flags_parse() call, and its result. */
struct parse_result {
    struct plugin_options opts;
    int rc;
    char *output;
};

/* Parse the NULL-terminated argument list after argv[0]. */
static struct parse_result parse(const char *first, ...)
{
    char *argv[32] = {(char[]){"nvidia-docker-plugin"}};
    int argc = 1;
    struct parse_result result;
    size_t size = 0;
    va_list ap;

    va_start(ap, first);
    for (const char *arg = first; arg; arg = va_arg(ap, const char *)) {
        assert_true(argc < 31);
        argv[argc++] = (char *)(uintptr_t)arg;
    }
    va_end(ap);

    FILE *out = open_memstream(&result.output, &size);
    assert_non_null(out);
    flags_set_defaults(&result.opts);
    result.rc = flags_parse(&result.opts, argc, argv, out);
    fclose(out);
    return result;
}

static void flags_defaults(void **state)
{
    struct parse_result r = parse(NULL);

    assert_int_equal(r.rc, 0);
    assert_string_equal(r.output, "");
    assert_string_equal(r.opts.volumes_dir, "/var/lib/nvidia-docker/volumes");
    assert_string_equal(r.opts.listen_addr, "localhost:3476");
    assert_string_equal(r.opts.socket_dir, "/run/docker/plugins");
    assert_string_equal(r.opts.driver_root, "/");
    assert_string_equal(r.opts.dev_root, "");
    assert_string_equal(flags_dev_root(&r.opts), "/");
    assert_false(r.opts.show_version);
    free(r.output);
}

static void flags_value_forms(void **state)
{
    struct parse_result r = parse("-d", "/a", "-l=:1", "--s", "/c", "--driver-root=/r", NULL);

    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.volumes_dir, "/a");
    assert_string_equal(r.opts.listen_addr, ":1");
    assert_string_equal(r.opts.socket_dir, "/c");
    assert_string_equal(r.opts.driver_root, "/r");
    assert_string_equal(flags_dev_root(&r.opts), "/r");
    free(r.output);

    r = parse("-dev-root", "/d", "-d", "/x", "-d", "/y", NULL);
    assert_int_equal(r.rc, 0);
    assert_string_equal(flags_dev_root(&r.opts), "/d");
    assert_string_equal(r.opts.volumes_dir, "/y");
    free(r.output);
}

static void flags_value_may_start_with_dash(void **state)
{
    struct parse_result r = parse("-d", "-v", NULL);

    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.volumes_dir, "-v");
    assert_false(r.opts.show_version);
    free(r.output);

    r = parse("-d=", NULL);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.volumes_dir, "");
    free(r.output);
}

static void flags_bool_forms(void **state)
{
    static const char *const truths[] = {"-v", "--v", "-v=true", "-v=1", "-v=T", "-v=TRUE", "-v=True"};
    static const char *const falsehoods[] = {"-v=false", "-v=0", "-v=f", "-v=F", "-v=FALSE"};

    for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
        struct parse_result r = parse(truths[i], NULL);
        assert_int_equal(r.rc, 0);
        if (!r.opts.show_version)
            fail_msg("%s did not set -v", truths[i]);
        free(r.output);
    }
    for (size_t i = 0; i < sizeof(falsehoods) / sizeof(falsehoods[0]); i++) {
        struct parse_result r = parse("-v", falsehoods[i], NULL);
        assert_int_equal(r.rc, 0);
        if (r.opts.show_version)
            fail_msg("%s did not clear -v", falsehoods[i]);
        free(r.output);
    }
}

static void flags_bool_takes_no_next_argument(void **state)
{
    /* "false" is the first positional argument, so parsing stops there. */
    struct parse_result r = parse("-v", "false", "-d", "/x", NULL);

    assert_int_equal(r.rc, 0);
    assert_true(r.opts.show_version);
    assert_string_equal(r.opts.volumes_dir, "/var/lib/nvidia-docker/volumes");
    free(r.output);
}

static void flags_stop_at_positional(void **state)
{
    struct parse_result r = parse("-d", "/a", "extra", "-bogus", NULL);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.volumes_dir, "/a");
    free(r.output);

    r = parse("-", "-bogus", NULL);
    assert_int_equal(r.rc, 0);
    free(r.output);

    r = parse("--", "-bogus", NULL);
    assert_int_equal(r.rc, 0);
    free(r.output);
}

static void flags_unknown_flag(void **state)
{
    struct parse_result r = parse("-x", "1", NULL);
    char *want = NULL;

    assert_int_equal(r.rc, -1);
    assert_true(asprintf(&want, "flag provided but not defined: -x\n%s", usage_text) > 0);
    assert_string_equal(r.output, want);
    free(want);
    free(r.output);

    r = parse("--driver-root2=/x", NULL);
    assert_int_equal(r.rc, -1);
    assert_true(strncmp(r.output, "flag provided but not defined: -driver-root2\n", 45) == 0);
    free(r.output);
}

static void flags_help(void **state)
{
    static const char *const forms[] = {"-h", "-help", "--help", "--h"};

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        struct parse_result r = parse(forms[i], NULL);
        assert_int_equal(r.rc, -1);
        assert_string_equal(r.output, usage_text);
        free(r.output);
    }
}

static void flags_missing_value(void **state)
{
    struct parse_result r = parse("-l", NULL);

    assert_int_equal(r.rc, -1);
    assert_true(strncmp(r.output, "flag needs an argument: -l\nUsage of ", 36) == 0);
    free(r.output);
}

static void flags_bad_syntax(void **state)
{
    static const char *const forms[] = {"---d", "-=x", "--=x"};

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        struct parse_result r = parse(forms[i], "/x", NULL);
        char prefix[64];
        assert_int_equal(r.rc, -1);
        snprintf(prefix, sizeof(prefix), "bad flag syntax: %s\n", forms[i]);
        if (strncmp(r.output, prefix, strlen(prefix)) != 0)
            fail_msg("%s: output starts with '%.40s'", forms[i], r.output);
        free(r.output);
    }
}

static void flags_bad_bool(void **state)
{
    struct parse_result r = parse("-v=yes", NULL);

    assert_int_equal(r.rc, -1);
    assert_true(strncmp(r.output, "invalid boolean value \"yes\" for -v: parse error\n", 48) == 0);
    free(r.output);
}

static void flags_usage_text(void **state)
{
    char *output = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&output, &size);

    flags_print_usage("nvidia-docker-plugin", out);
    fclose(out);
    assert_string_equal(output, usage_text);
    free(output);
}

/* Check the roots of a command line; return the error message or NULL. */
static char *check_roots(const char *driver_root, const char *dev_root)
{
    struct plugin_options opts;
    nvd_error *err = NULL;
    char *msg = NULL;

    flags_set_defaults(&opts);
    opts.driver_root = driver_root;
    if (dev_root)
        opts.dev_root = dev_root;
    if (flags_check(&opts, &err) < 0) {
        msg = strdup(err->msg);
        nvd_error_free(err);
    }
    return msg;
}

static void flags_root_checks(void **state)
{
    char *msg;

    assert_null(check_roots("/", NULL));
    assert_null(check_roots("/run/nvidia/driver", "/"));

    msg = check_roots("/a b", NULL);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "--driver-root '/a b'"));
    free(msg);

    msg = check_roots("/", "/dev:root");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "--dev-root '/dev:root'"));
    free(msg);

    /* An unset dev root is the driver root, which is checked first. */
    msg = check_roots("/x:y", "");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "--driver-root"));
    free(msg);

    msg = check_roots("relative", NULL);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "absolute path"));
    free(msg);
}

static void flags_cdi_dir(void **state)
{
    struct parse_result r = parse("--cdi-dir", "/etc/cdi", NULL);
    struct plugin_options opts;
    nvd_error *err = NULL;

    flags_set_defaults(&opts);
    assert_string_equal(opts.cdi_dir, "");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.cdi_dir, "/etc/cdi");
    assert_int_equal(flags_check(&r.opts, &err), 0);
    free(r.output);

    opts.cdi_dir = "cdi";
    assert_int_equal(flags_check(&opts, &err), -1);
    assert_non_null(strstr(err->msg, "--cdi-dir 'cdi'"));
    nvd_error_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flags_defaults),
        cmocka_unit_test(flags_value_forms),
        cmocka_unit_test(flags_value_may_start_with_dash),
        cmocka_unit_test(flags_bool_forms),
        cmocka_unit_test(flags_bool_takes_no_next_argument),
        cmocka_unit_test(flags_stop_at_positional),
        cmocka_unit_test(flags_unknown_flag),
        cmocka_unit_test(flags_help),
        cmocka_unit_test(flags_missing_value),
        cmocka_unit_test(flags_bad_syntax),
        cmocka_unit_test(flags_bad_bool),
        cmocka_unit_test(flags_usage_text),
        cmocka_unit_test(flags_root_checks),
        cmocka_unit_test(flags_cdi_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
