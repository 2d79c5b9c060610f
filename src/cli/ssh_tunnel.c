/*
 * ssh_tunnel.c: the ssh child of ssh_tunnel.h. Its stdin and stdout are
 * one end of a socket pair, so http.c uses it as any other socket. Its
 * stderr goes to a pipe that is read only to explain a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ssh_tunnel.h"
#include "util.h"

extern char **environ;

/* The maximum of ssh's stderr kept for a message. */
#define SSH_STDERR_MAX 4096
#define SSH_TUNNEL_ARGS_MAX 16

/*
 * Fill args with the ssh command line for h, NULL-terminated: for the
 * tunnel ("-W localhost:PORT"), or for a check by hand (remote command
 * "true"). forward receives the "-W" value and must outlive args.
 */
static void build_args(const struct nv_host *h, bool tunnel, char *forward, size_t size,
                       const char *args[SSH_TUNNEL_ARGS_MAX])
{
    size_t n = 0;

    args[n++] = "ssh";
    if (tunnel) {
        snprintf(forward, size, "localhost:%s", h->http_port);
        args[n++] = "-W";
        args[n++] = forward;
        /* ssh reports a host that does not respond. A prompt has no limit. */
        args[n++] = "-o";
        args[n++] = "ConnectTimeout=10";
    }
    if (h->ssh_port) {
        args[n++] = "-p";
        args[n++] = h->ssh_port;
    }
    if (h->user) {
        args[n++] = "-l";
        args[n++] = h->user;
    }
    /* nv_host.c rejects a host that starts with '-', and "--" ends the options anyway. */
    if (tunnel)
        args[n++] = "--";
    args[n++] = h->host;
    if (!tunnel)
        args[n++] = "true";
    args[n] = NULL;
}

int ssh_tunnel_open(const struct nv_host *h, struct ssh_tunnel *t, nvd_error **err)
{
    int sv[2] = { -1, -1 };
    int ep[2] = { -1, -1 };
    char forward[32];
    const char *args[SSH_TUNNEL_ARGS_MAX];
    posix_spawn_file_actions_t actions;

    t->pid = -1;
    t->fd = -1;
    t->err_fd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return nvd_error_sys(err, errno, "creating a socket pair for ssh failed");
    if (pipe2(ep, O_CLOEXEC) < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return nvd_error_sys(err, e, "creating a pipe for ssh's messages failed");
    }

    build_args(h, true, forward, sizeof(forward), args);
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sv[1], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, sv[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, ep[1], STDERR_FILENO);
    int rc = posix_spawnp(&t->pid, "ssh", &actions, NULL, (char *const *)args, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(sv[1]);
    close(ep[1]);

    if (rc != 0) {
        close(sv[0]);
        close(ep[0]);
        t->pid = -1;
        if (rc == ENOENT)
            return nvd_error_set(err, NVD_ERR_NOT_FOUND,
                                 "ssh was not found in PATH: install the OpenSSH client "
                                 "(Debian: openssh-client)");
        return nvd_error_sys(err, rc, "starting ssh failed");
    }
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    fcntl(ep[0], F_SETFL, fcntl(ep[0], F_GETFL) | O_NONBLOCK);
    t->fd = sv[0];
    t->err_fd = ep[0];
    return 0;
}

/* Wait up to ms milliseconds for pid to exit; return true when it did. */
static bool reap_within(pid_t pid, int ms)
{
    for (int waited = 0;; waited += 10) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return true;
        if (waited >= ms)
            return false;
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    }
}

/* Return true when the line s[0..len) is one of ssh's notes or banners
 * rather than the reason of a failure. */
static bool is_note(const char *s, size_t len)
{
    static const char *const notes[] = {
        "Warning: Permanently added", "Killed by signal", NULL,
    };

    if (len == 0 || strspn(s, "@") >= len)
        return true;
    for (size_t i = 0; notes[i]; i++) {
        if (strncmp(s, notes[i], strlen(notes[i])) == 0)
            return true;
    }
    return false;
}

/*
 * Append the last two lines of text[0..len) that are not notes to out,
 * "; " between them and without a final period. ssh ends with its reason
 * ("Host key verification failed.") after a line of detail, if any.
 */
static void append_reason(struct nvd_buf *out, const char *text, size_t len)
{
    const char *kept[2] = { NULL, NULL };
    size_t kept_len[2] = { 0, 0 };
    const char *end = text + len;

    for (const char *p = text; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *next = nl ? nl + 1 : end;
        while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
            n--;
        if (!is_note(p, n)) {
            kept[0] = kept[1];
            kept_len[0] = kept_len[1];
            kept[1] = p;
            kept_len[1] = n;
        }
        p = next;
    }

    for (size_t k = 0; k < 2; k++) {
        if (!kept[k])
            continue;
        size_t n = kept_len[k];
        if (k == 1 && kept[k][n - 1] == '.')
            n--;
        if (out->len > 0)
            nvd_buf_puts(out, "; ");
        for (size_t i = 0; i < n; i++)
            nvd_buf_append(out, (unsigned char)kept[k][i] < ' ' ? "?" : kept[k] + i, 1);
    }
}

char *ssh_tunnel_close(struct ssh_tunnel *t, bool wait_for_exit)
{
    struct nvd_buf text = { 0 };

    if (t->fd >= 0)
        close(t->fd);
    if (t->pid > 0 && !(wait_for_exit && reap_within(t->pid, 2000))) {
        kill(t->pid, SIGTERM);
        if (!reap_within(t->pid, 2000)) {
            kill(t->pid, SIGKILL);
            waitpid(t->pid, NULL, 0);
        }
    }

    if (t->err_fd >= 0) {
        char buf[SSH_STDERR_MAX];
        size_t len = 0;
        ssize_t n;
        while (len < sizeof(buf) &&
               ((n = read(t->err_fd, buf + len, sizeof(buf) - len)) > 0 ||
                (n < 0 && errno == EINTR)))
            len += n > 0 ? (size_t)n : 0;
        close(t->err_fd);
        append_reason(&text, buf, len);
    }
    t->pid = -1;
    t->fd = -1;
    t->err_fd = -1;
    return text.len > 0 ? nvd_buf_steal(&text) : nvd_xstrdup("");
}

bool ssh_tunnel_interactive(void)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return false;
    close(fd);
    return true;
}

char *ssh_tunnel_check_command(const struct nv_host *h)
{
    const char *args[SSH_TUNNEL_ARGS_MAX];
    struct nvd_buf cmd = { 0 };

    build_args(h, false, NULL, 0, args);
    for (size_t i = 0; args[i]; i++) {
        if (i > 0)
            nvd_buf_puts(&cmd, " ");
        nvd_buf_puts(&cmd, args[i]);
    }
    return nvd_buf_steal(&cmd);
}
