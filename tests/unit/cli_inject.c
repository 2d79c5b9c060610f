/* Unit tests for what nvidia-docker adds to a command line: the plugin's
 * reply, the NV_GPU query, the argv insertion and the engine address
 * helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "inject.h"
#include "plugin_client.h"

/* The tests keep their argument lists in const arrays of literals. */
#define V(a) ((char *const *)(a))

static void test_inject_argv_before_image(void **state)
{
    (void)state;
    const char *words[] = { "sudo", "docker" };
    const char *args[] = { "run", "--rm", "-it", "nvidia/cuda", "nvidia-smi", "-L" };
    const char *devices[] = { "/dev/nvidiactl", "/dev/nvidia0" };
    const char *volumes[] = { "nvidia_driver_375.66:/usr/local/nvidia:ro" };
    size_t count;
    char **options = inject_gpu_options(V(devices), 2, V(volumes), 1, &count);

    assert_int_equal(count, 3);
    assert_string_equal(options[0], "--device=/dev/nvidiactl");
    assert_string_equal(options[1], "--device=/dev/nvidia0");
    assert_string_equal(options[2], "--volume=nvidia_driver_375.66:/usr/local/nvidia:ro");
    assert_null(options[3]);

    char **argv = inject_argv(V(words), 2, V(args), 6, 3, options, count);
    static const char *const expected[] = {
        "sudo", "docker", "run", "--rm", "-it", "--device=/dev/nvidiactl",
        "--device=/dev/nvidia0", "--volume=nvidia_driver_375.66:/usr/local/nvidia:ro",
        "nvidia/cuda", "nvidia-smi", "-L",
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        assert_string_equal(argv[i], expected[i]);
    assert_null(argv[sizeof(expected) / sizeof(expected[0])]);
    for (size_t i = 0; argv[i]; i++)
        assert_null(strstr(argv[i], "--volume-driver"));
    free(argv);
    inject_free(options);
}

static void test_inject_argv_edges(void **state)
{
    (void)state;
    const char *words[] = { "docker" };
    const char *args[] = { "run", "img" };
    const char *extra[] = { "--device=/dev/x" };
    char **argv;

    argv = inject_argv(V(words), 1, V(args), 2, 1, NULL, 0);
    assert_string_equal(argv[1], "run");
    assert_string_equal(argv[2], "img");
    assert_null(argv[3]);
    free(argv);

    argv = inject_argv(V(words), 1, V(args), 2, 1, V(extra), 1);
    assert_string_equal(argv[2], "--device=/dev/x");
    assert_string_equal(argv[3], "img");
    free(argv);

    size_t count;
    char **none = inject_gpu_options(NULL, 0, NULL, 0, &count);
    assert_int_equal(count, 0);
    assert_null(none[0]);
    inject_free(none);
}

/* The arguments of a translated --gpus option are left out. */
static void test_inject_argv_without_gpus(void **state)
{
    (void)state;
    const char *words[] = { "docker" };
    const char *args[] = { "run", "--gpus", "all", "--rm", "--gpus=1", "img", "true" };
    const bool drop[] = { false, true, true, false, true, false, false };
    const char *options[] = { "--device=/dev/nvidia0" };
    char **argv = inject_argv_without(V(words), 1, V(args), 7, 5, V(options), 1, drop);
    static const char *const expected[] = {
        "docker", "run", "--rm", "--device=/dev/nvidia0", "img", "true",
    };

    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        assert_string_equal(argv[i], expected[i]);
    assert_null(argv[sizeof(expected) / sizeof(expected[0])]);
    free(argv);
}

static void test_device_query(void **state)
{
    (void)state;
    char *q;

    assert_null(plugin_device_query(NULL));
    assert_null(plugin_device_query(""));
    assert_null(plugin_device_query(" , ,"));
    q = plugin_device_query("0,1");
    assert_string_equal(q, "0+1");
    free(q);
    q = plugin_device_query(" 0, 1 ,,2 ");
    assert_string_equal(q, "0+1+2");
    free(q);
    q = plugin_device_query("GPU-8e80 0000:05:00.0");
    assert_string_equal(q, "GPU-8e80+0000%3A05%3A00.0");
    free(q);
    q = plugin_device_query("0&vol=x");
    assert_string_equal(q, "0%26vol%3Dx");
    free(q);
}

static void test_plugin_reply(void **state)
{
    (void)state;
    struct plugin_docker_cli cli;
    const char *body =
        "{\"VolumeDriver\":\"nvidia-docker\",\"Volumes\":[\"nvidia_driver_375.66:/usr/local/nvidia:ro\"],"
        "\"Devices\":[\"/dev/nvidiactl\",\"/dev/nvidia-uvm\",\"/sim/dev/nvidia0:/dev/nvidia0\"]}\n";

    assert_int_equal(plugin_parse_docker_cli(body, strlen(body), &cli, NULL), 0);
    assert_string_equal(cli.volume_driver, "nvidia-docker");
    assert_int_equal(cli.volume_count, 1);
    assert_string_equal(cli.volumes[0], "nvidia_driver_375.66:/usr/local/nvidia:ro");
    assert_int_equal(plugin_volume_name_len(cli.volumes[0]), strlen("nvidia_driver_375.66"));
    assert_int_equal(cli.device_count, 3);
    assert_string_equal(cli.devices[2], "/sim/dev/nvidia0:/dev/nvidia0");
    plugin_docker_cli_clear(&cli);

    const char *empty = "{\"VolumeDriver\":\"nvidia-docker\",\"Volumes\":[],\"Devices\":[]}";
    assert_int_equal(plugin_parse_docker_cli(empty, strlen(empty), &cli, NULL), 0);
    assert_int_equal(cli.volume_count, 0);
    assert_int_equal(cli.device_count, 0);
    plugin_docker_cli_clear(&cli);
}

static void test_plugin_reply_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{\"Volumes\":[],\"Devices\":null}",
        "{\"Volumes\":{},\"Devices\":[]}",
        "{\"VolumeDriver\":1,\"Volumes\":[],\"Devices\":[]}",
        "{\"Volumes\":[],\"Devices\":[\"dev/nvidia0\"]}",
        "{\"Volumes\":[],\"Devices\":[\"/dev/nvidia0 --privileged\"]}",
        "{\"Volumes\":[],\"Devices\":[\"/a:/b:/c\"]}",
        "{\"Volumes\":[],\"Devices\":[\"/a:\"]}",
        "{\"Volumes\":[],\"Devices\":[7]}",
        "{\"Volumes\":[\"nvidia_driver_1\"],\"Devices\":[]}",
        "{\"Volumes\":[\"/host:/usr/local/nvidia\"],\"Devices\":[]}",
        "{\"Volumes\":[\"x:relative\"],\"Devices\":[]}",
        "{\"Volumes\":[\"x:/p:\"],\"Devices\":[]}",
        "{\"Volumes\":[\"x:/p:RO\"],\"Devices\":[]}",
        "{\"Volumes\":[\"-x:/p\"],\"Devices\":[]}",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct plugin_docker_cli cli;
        nvd_error *err = NULL;
        int rc = plugin_parse_docker_cli(bad[i], strlen(bad[i]), &cli, &err);
        if (rc != -1)
            print_error("case %zu was accepted: %s\n", i, bad[i]);
        assert_int_equal(rc, -1);
        assert_non_null(err);
        assert_null(cli.devices);
        assert_null(cli.volumes);
        nvd_error_free(err);
    }
}

static void test_plugin_remote_rejected(void **state)
{
    (void)state;
    nvd_error *err = NULL;

    assert_int_equal(plugin_check_local(NULL, NULL), 0);
    assert_int_equal(plugin_check_local("", NULL), 0);
    assert_int_equal(plugin_check_local("ssh://gpu-host:", &err), -1);
    assert_non_null(strstr(err->msg, "ssh://gpu-host:"));
    assert_non_null(strstr(err->msg, "not supported yet"));
    nvd_error_free(err);
}

static void test_engine_hosts(void **state)
{
    (void)state;
    char *s;

    s = engine_host_socket("unix:///run/user/1000/docker.sock");
    assert_string_equal(s, "/run/user/1000/docker.sock");
    free(s);
    s = engine_host_socket("unix://");
    assert_string_equal(s, ENGINE_DEFAULT_SOCKET);
    free(s);
    assert_null(engine_host_socket("tcp://127.0.0.1:2375"));
    assert_null(engine_host_socket("ssh://me@host"));

    static const char *const local[] = {
        "unix:///x", "tcp://127.0.0.1:2375", "tcp://localhost:2376", "tcp://[::1]:2375",
        "tcp://:2375", "ssh://me@localhost", "localhost:2375", "127.0.0.2:1",
    };
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        if (!engine_host_is_local(local[i]))
            print_error("%s is not local\n", local[i]);
        assert_true(engine_host_is_local(local[i]));
    }
    static const char *const remote[] = {
        "tcp://10.0.0.1:2376", "ssh://me@gpu-host", "ssh://localhost.example.com",
        "gpu-host:2375", "tcp://[fe80::1]:2375", "tcp://127:1",
    };
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
        if (engine_host_is_local(remote[i]))
            print_error("%s is local\n", remote[i]);
        assert_false(engine_host_is_local(remote[i]));
    }
}

static void test_engine_init_choice(void **state)
{
    (void)state;
    struct engine e;
    struct scan_result scan;
    const char *args[] = { "-H", "unix:///tmp/x.sock", "run", "img" };

    unsetenv("DOCKER_HOST");
    unsetenv("DOCKER_CONTEXT");
    setenv("DOCKER_CONFIG", "/nonexistent", 1);

    cli_scan(V(args), 4, &scan);
    engine_init(&e, NULL, V(args), &scan);
    assert_string_equal(e.socket_path, "/tmp/x.sock");
    assert_int_equal(e.global_count, 2);
    assert_false(e.remote);
    engine_clear(&e);

    setenv("DOCKER_HOST", "tcp://10.0.0.1:2376", 1);
    cli_scan(V(args) + 2, 2, &scan);
    engine_init(&e, NULL, V(args) + 2, &scan);
    assert_null(e.socket_path);
    assert_true(e.remote);
    assert_int_equal(e.global_count, 0);
    engine_clear(&e);

    /* -H wins over DOCKER_HOST. */
    cli_scan(V(args), 4, &scan);
    engine_init(&e, NULL, V(args), &scan);
    assert_string_equal(e.socket_path, "/tmp/x.sock");
    engine_clear(&e);
    unsetenv("DOCKER_HOST");

    setenv("DOCKER_CONTEXT", "remote-box", 1);
    cli_scan(V(args) + 2, 2, &scan);
    engine_init(&e, NULL, V(args) + 2, &scan);
    assert_null(e.socket_path);
    assert_string_equal(e.address, "context remote-box");
    engine_clear(&e);
    setenv("DOCKER_CONTEXT", "default", 1);
    engine_init(&e, NULL, V(args) + 2, &scan);
    assert_string_equal(e.socket_path, ENGINE_DEFAULT_SOCKET);
    engine_clear(&e);
    unsetenv("DOCKER_CONTEXT");
    unsetenv("DOCKER_CONFIG");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inject_argv_before_image),
        cmocka_unit_test(test_inject_argv_edges),
        cmocka_unit_test(test_device_query),
        cmocka_unit_test(test_plugin_reply),
        cmocka_unit_test(test_plugin_reply_rejected),
        cmocka_unit_test(test_plugin_remote_rejected),
        cmocka_unit_test(test_inject_argv_without_gpus),
        cmocka_unit_test(test_engine_hosts),
        cmocka_unit_test(test_engine_init_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
