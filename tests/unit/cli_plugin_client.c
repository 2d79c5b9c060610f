/* Unit tests for the plugin client against a small HTTP server on loopback
 * that a child process runs from a script of replies, and for the REST
 * routes that discovery in this process answers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "local_plugin.h"
#include "plugin_client.h"
#include "util.h"

#define INFO_REPLY "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 39\r\n\r\n" \
                   "{\"Version\":{\"CUDA\":\"8.0\"},\"Devices\":[]}"
#define CLI_REPLY "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 101\r\n\r\n" \
                  "{\"VolumeDriver\":\"nvidia-docker\",\"Volumes\":[\"nvidia_driver_375.66:/usr/local/nvidia:ro\"]," \
                  "\"Devices\":[]}"

/* One connection of the server: the replies it sends, one per request,
 * then it closes the connection. */
struct script_conn {
    const char *replies[3];
};

/* The server: its child process and its port. */
struct server {
    pid_t pid;
    char port[8];
};

/* Read one request head (up to the blank line) from fd. Return false at
 * the end of the connection. */
static bool read_request(int fd)
{
    char buf[4096];
    size_t len = 0;

    while (len < sizeof(buf) - 1) {
        ssize_t n = read(fd, buf + len, 1);
        if (n <= 0)
            return false;
        len++;
        buf[len] = '\0';
        if (len >= 4 && strcmp(buf + len - 4, "\r\n\r\n") == 0)
            return true;
    }
    return false;
}

/* Start a server on 127.0.0.1 that accepts one connection per entry of
 * conns (count of them) and then closes its listening socket. */
static void server_start(struct server *s, const struct script_conn *conns, size_t count)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(addr);

    assert_true(listener >= 0);
    assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(listener, 4), 0);
    assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    snprintf(s->port, sizeof(s->port), "%u", ntohs(addr.sin_port));

    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        for (size_t c = 0; c < count; c++) {
            int fd = accept(listener, NULL, NULL);
            if (fd < 0)
                _exit(1);
            if (c + 1 == count)
                close(listener);
            for (size_t r = 0; conns[c].replies[r] && read_request(fd); r++) {
                if (write(fd, conns[c].replies[r], strlen(conns[c].replies[r])) < 0)
                    _exit(1);
            }
            close(fd);
        }
        _exit(0);
    }
    close(listener);
}

/* Wait for the server to exit and check that it served its whole script. */
static void server_wait(struct server *s)
{
    int status;

    assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Point the client at the server through NV_HOST. */
static void use_server(const struct server *s)
{
    char nv_host[32];

    snprintf(nv_host, sizeof(nv_host), "http://127.0.0.1:%s", s->port);
    assert_int_equal(plugin_client_init(nv_host, NULL, NULL), 0);
}

static void test_client_one_connection(void **state)
{
    (void)state;
    static const struct script_conn conns[] = { { { INFO_REPLY, CLI_REPLY, NULL } } };
    struct server s;
    struct plugin_docker_cli cli;
    json_t *info = NULL;

    server_start(&s, conns, 1);
    use_server(&s);
    assert_int_equal(plugin_get_gpu_info(&info, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(info, "Version"), "CUDA")),
                        "8.0");
    assert_int_equal(plugin_get_docker_cli(NULL, &cli, NULL), 0);
    assert_int_equal(cli.volume_count, 1);
    plugin_docker_cli_clear(&cli);
    plugin_client_close();
    server_wait(&s);
    json_decref(info);
}

static void test_client_reconnects_once(void **state)
{
    (void)state;
    /* The server closes the kept connection after one reply. */
    static const struct script_conn conns[] = {
        { { INFO_REPLY, NULL } }, { { CLI_REPLY, NULL } },
    };
    struct server s;
    struct plugin_docker_cli cli;
    json_t *info = NULL;

    server_start(&s, conns, 2);
    use_server(&s);
    assert_int_equal(plugin_get_gpu_info(&info, NULL), 0);
    assert_int_equal(plugin_get_docker_cli(NULL, &cli, NULL), 0);
    plugin_docker_cli_clear(&cli);
    plugin_client_close();
    server_wait(&s);
    json_decref(info);
}

/* A status other than 200, or a reply that cannot be used, names the
 * plugin's address and shows what it sent, escaped. A bad reply also says
 * what to check. */
static void test_client_reply_messages(void **state)
{
    (void)state;
    static const char advice[] =
        "; check that NV_HOST names the REST address (-l) of nvidia-docker-plugin, of the same "
        "version as nvidia-docker, and read its log";
    static const struct { const char *reply, *start, *end; } cases[] = {
        { "HTTP/1.1 400 Bad Request\r\nContent-Length: 18\r\n\r\ninvalid device: 9\n",
          "answered 400: invalid device: 9", "" },
        { "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
          "answered 500: Internal Server Error; read the plugin's log there", "" },
        { "HTTP/1.1 404 Not Found\r\nContent-Length: 21\r\n\r\nline one\nline two\r\n\r\n",
          "answered 404: line one line two; read the plugin's log there", "" },
        { "\001\002 not http at all \377\376\n",
          "sent an invalid reply to GET /docker/cli/json?vol=nvidia_driver&dev=9: invalid HTTP "
          "status line \"\\x01\\x02 not http at all \\xff\\xfe\"", advice },
        { "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{\"Devi\":[",
          "sent an invalid reply to GET /docker/cli/json?vol=nvidia_driver&dev=9: invalid JSON",
          advice },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct script_conn conns[] = { { { cases[i].reply, NULL } } };
        struct server s;
        struct plugin_docker_cli cli;
        nvd_error *err = NULL;

        server_start(&s, conns, 1);
        use_server(&s);
        assert_int_equal(plugin_get_docker_cli("9", &cli, &err), -1);
        char *start = nvd_xasprintf("nvidia-docker-plugin at 127.0.0.1:%s %s", s.port,
                                    cases[i].start);
        size_t msg_len = strlen(err->msg), end_len = strlen(cases[i].end);
        if (end_len == 0)
            assert_string_equal(err->msg, start);
        assert_memory_equal(err->msg, start, strlen(start));
        assert_true(msg_len >= end_len);
        assert_string_equal(err->msg + msg_len - end_len, cases[i].end);
        free(start);
        nvd_error_free(err);
        plugin_client_close();
        server_wait(&s);
    }
}

static void test_client_refused(void **state)
{
    (void)state;
    static const struct script_conn conns[] = { { { NULL } } };
    struct server s;
    struct plugin_docker_cli cli;
    nvd_error *err = NULL;

    /* A server that closes at once frees a port where nothing listens. */
    server_start(&s, conns, 1);
    use_server(&s);
    assert_int_equal(plugin_get_docker_cli(NULL, &cli, &err), -1);
    assert_non_null(strstr(err->msg, "could not be reached"));
    nvd_error_free(err);
    err = NULL;
    server_wait(&s);

    assert_int_equal(plugin_get_docker_cli(NULL, &cli, &err), -1);
    assert_non_null(strstr(err->msg, "could not be reached"));
    assert_non_null(strstr(err->msg, "Connection refused"));
    nvd_error_free(err);
    plugin_client_close();
}

static void test_client_choice(void **state)
{
    (void)state;
    nvd_error *err = NULL;
    char *address;

    /* A remote engine's host, with the plugin's port. */
    assert_int_equal(plugin_client_init(NULL, "tcp://10.0.0.1:2376", NULL), 0);
    address = plugin_client_address();
    assert_string_equal(address, "10.0.0.1:3476");
    assert_false(plugin_client_is_loopback());
    free(address);

    /* NV_HOST wins over the engine's host. */
    assert_int_equal(plugin_client_init("ssh://u@gpu:", "tcp://10.0.0.1:2376", NULL), 0);
    address = plugin_client_address();
    assert_string_equal(address, "ssh://u@gpu (localhost:3476 there)");
    free(address);

    assert_int_equal(plugin_client_init("", NULL, NULL), 0);
    assert_true(plugin_client_is_loopback());

    assert_int_equal(plugin_client_init("https://gpu:", NULL, &err), -1);
    assert_non_null(strstr(err->msg, "invalid NV_HOST \"https://gpu:\""));
    nvd_error_free(err);
    err = NULL;

    assert_int_equal(plugin_client_init(NULL, "npipe:////./pipe/x", &err), -1);
    assert_non_null(strstr(err->msg, "set NV_HOST"));
    nvd_error_free(err);
    plugin_client_close();
}

/* A host with no GPU, enough for the routes. Its dev root has no
 * nvidia-uvm-tools, whatever the machine. */
static struct nvd_host *empty_host(void)
{
    struct nvd_host *host = nvd_xcalloc(1, sizeof(*host));

    host->driver_root = nvd_xstrdup("/");
    host->dev_root = nvd_xstrdup("/nonexistent");
    strcpy(host->driver_version, "375.66");
    strcpy(host->cuda_version, "8.0");
    return host;
}

static void test_local_routes(void **state)
{
    (void)state;
    struct nvd_host *host = empty_host();
    static const struct { const char *target; int status; const char *body; } cases[] = {
        { "/docker/cli/json?vol=nvidia_driver", 200,
          "{\"VolumeDriver\":\"nvidia-docker\",\"Volumes\":[\"nvidia_driver_375.66:/usr/local/nvidia:ro\"],"
          "\"Devices\":[\"/nonexistent/dev/nvidiactl:/dev/nvidiactl\","
          "\"/nonexistent/dev/nvidia-uvm:/dev/nvidia-uvm\"]}\n" },
        { "/v1.0/docker/cli?vol=nvidia_driver",
          200, "--volume-driver=nvidia-docker --volume=nvidia_driver_375.66:/usr/local/nvidia:ro "
          "--device=/nonexistent/dev/nvidiactl:/dev/nvidiactl "
          "--device=/nonexistent/dev/nvidia-uvm:/dev/nvidia-uvm" },
        { "/docker/cli/json?vol=nvidia_driver&dev=9", 400, "invalid device: 9\n" },
        { "/docker/cli/json?vol=x", 400, "invalid volume: x\n" },
        { "/gpu/status", 404, "404 page not found\n" },
        { "/v1.0", 404, "404 page not found\n" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_response resp;
        assert_int_equal(local_plugin_get(host, cases[i].target, &resp, NULL), 0);
        if (resp.status != cases[i].status || strcmp(resp.body, cases[i].body) != 0)
            fail_msg("%s: got %d \"%s\"", cases[i].target, resp.status, resp.body);
        http_response_clear(&resp);
    }

    struct http_response resp;
    assert_int_equal(local_plugin_get(host, "/gpu/info/json", &resp, NULL), 0);
    assert_int_equal(resp.status, 200);
    char *expected = nvd_render_gpu_info_json(host);
    assert_string_equal(resp.body, expected);
    assert_string_equal(http_header_get(&resp, "Content-Type"), "application/json");
    free(expected);
    http_response_clear(&resp);
    nvd_host_free(host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_one_connection),
        cmocka_unit_test(test_client_reconnects_once),
        cmocka_unit_test(test_client_reply_messages),
        cmocka_unit_test(test_client_refused),
        cmocka_unit_test(test_client_choice),
        cmocka_unit_test(test_local_routes),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
