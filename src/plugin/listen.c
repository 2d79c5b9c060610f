/*
 * listen.c: the daemon's listen sockets. The TCP address takes Go's listen
 * address syntax, as 1.0's -l did. The Unix socket replaces a stale socket
 * file that a daemon left when it did not exit cleanly.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "server.h"
#include "util.h"

/* Copy src[0..len) into dst of size bytes; false when it does not fit. */
static bool copy_part(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size)
        return false;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

int listen_split_address(const char *address, char *host, size_t host_size,
                         char *port, size_t port_size, nvd_error **err)
{
    const char *host_start = address;
    size_t host_len;
    const char *colon;

    if (address[0] == '[') {
        const char *end = strchr(address, ']');
        if (!end)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid listen address %s: missing ']'", address);
        if (end[1] != ':')
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid listen address %s: missing port after ']' "
                                 "(expected [address]:port)", address);
        host_start = address + 1;
        host_len = (size_t)(end - host_start);
        colon = end + 1;
    } else {
        colon = strrchr(address, ':');
        if (!colon)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid listen address %s: missing port "
                                 "(expected host:port, e.g. localhost:3476)", address);
        host_len = (size_t)(colon - address);
        if (memchr(address, ':', host_len))
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid listen address %s: too many colons "
                                 "(write an IPv6 address in brackets, e.g. [::1]:3476)", address);
    }
    if (memchr(host_start, '[', host_len) || strchr(colon, '[') || strchr(colon, ']') ||
        memchr(host_start, ']', host_len))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid listen address %s: unexpected bracket", address);
    if (!copy_part(host, host_size, host_start, host_len) ||
        !copy_part(port, port_size, colon + 1, strlen(colon + 1)))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid listen address %s: too long", address);
    return 0;
}

/*
 * Set err as nvd_error_sys() does, with the system's reason starting in
 * lower case as Go prints it: "listen tcp 127.0.0.1:3476: bind: address
 * already in use" is nvidia-docker 1.0's log line.
 */
static int listen_error(nvd_error **err, int errnum, const char *network, const char *address,
                        const char *call)
{
    nvd_error_sys(err, errnum, "listen %s %s: %s", network, address, call);
    if (err && *err) {
        size_t reason = strlen((*err)->msg) - strlen(strerror(errnum));
        (*err)->msg[reason] = (char)tolower((unsigned char)(*err)->msg[reason]);
    }
    return -1;
}

/* Create a socket bound to addr and listening; -1 with err set on failure. */
static int listen_on(const char *address, const struct sockaddr *addr, socklen_t addr_len,
                     nvd_error **err)
{
    int one = 1;
    int zero = 0;
    cleanup_close int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0)
        return listen_error(err, errno, "tcp", address, "socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* An IPv6 wildcard also accepts IPv4 connections, as Go's ":port" does. */
    if (addr->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, addr, addr_len) < 0)
        return listen_error(err, errno, "tcp", address, "bind");
    if (listen(fd, SOMAXCONN) < 0)
        return listen_error(err, errno, "tcp", address, "listen");
    int listen_fd = fd;
    fd = -1;
    return listen_fd;
}

/* Listen on every interface: IPv6 and IPv4 when the kernel has IPv6, else IPv4. */
static int listen_wildcard(const char *address, unsigned short port, nvd_error **err)
{
    struct sockaddr_in6 any6 = {
        .sin6_family = AF_INET6,
        .sin6_port = htons(port),
        .sin6_addr = IN6ADDR_ANY_INIT,
    };
    struct sockaddr_in any4 = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_ANY),
    };
    int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (probe >= 0) {
        close(probe);
        return listen_on(address, (const struct sockaddr *)&any6, sizeof(any6), err);
    }
    return listen_on(address, (const struct sockaddr *)&any4, sizeof(any4), err);
}

int listen_tcp(const char *address, nvd_error **err)
{
    char host[256];
    char port[64];
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE,
    };
    struct addrinfo *found = NULL;

    if (listen_split_address(address, host, sizeof(host), port, sizeof(port), err) < 0)
        return -1;
    /* Go listens on an ephemeral port when the port is empty. */
    if (port[0] == '\0')
        strcpy(port, "0");
    /* getaddrinfo() would wrap a number above 65535 around instead of rejecting it. */
    if (port[strspn(port, "0123456789")] == '\0' && strtoul(port, NULL, 10) > 65535)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid listen address %s: port %s is out of range (0 to 65535)",
                             address, port);
    /* Go listens on 127.0.0.1 for "localhost", whatever the resolver's order. */
    const char *node = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;

    int rc = getaddrinfo(node[0] ? node : NULL, port, &hints, &found);
    if (rc != 0)
        return nvd_error_set(err, NVD_ERR_INVALID, "listen tcp %s: lookup %s port %s: %s",
                             address, node[0] ? node : "*", port, gai_strerror(rc));

    /* Like Go, prefer an IPv4 address when the name has both kinds. */
    const struct addrinfo *chosen = found;
    for (const struct addrinfo *ai = found; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            chosen = ai;
            break;
        }
    }

    int fd;
    if (node[0] == '\0') {
        unsigned short port_number = chosen->ai_family == AF_INET6
            ? ntohs(((const struct sockaddr_in6 *)(const void *)chosen->ai_addr)->sin6_port)
            : ntohs(((const struct sockaddr_in *)(const void *)chosen->ai_addr)->sin_port);
        fd = listen_wildcard(address, port_number, err);
    } else {
        fd = listen_on(address, chosen->ai_addr, chosen->ai_addrlen, err);
    }
    freeaddrinfo(found);
    return fd;
}

/*
 * Make way for a new socket at addr: remove a stale socket file, but fail
 * when a daemon still accepts connections there or the file is no socket.
 */
static int remove_stale_socket(const struct sockaddr_un *addr, nvd_error **err)
{
    const char *path = addr->sun_path;
    struct stat st;

    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return nvd_error_sys(err, errno, "failed to check the socket path %s", path);
    }
    if (!S_ISSOCK(st.st_mode))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "%s exists and is not a socket: remove it or choose another -s directory",
                             path);

    cleanup_close int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "another server is listening on %s: stop it or choose another -s directory",
                             path);
    if (unlink(path) < 0 && errno != ENOENT)
        return nvd_error_sys(err, errno, "failed to remove the stale socket %s", path);
    return 0;
}

int listen_unix(const char *path, nvd_error **err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    if (strlen(path) >= sizeof(addr.sun_path))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "socket path %s is too long (%zu bytes, at most %zu): "
                             "choose a shorter -s directory",
                             path, strlen(path), sizeof(addr.sun_path) - 1);
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (remove_stale_socket(&addr, err) < 0)
        return -1;

    cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return listen_error(err, errno, "unix", path, "socket");
    if (bind(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0)
        return listen_error(err, errno, "unix", path, "bind");
    if (listen(fd, SOMAXCONN) < 0) {
        int saved = errno;
        unlink(path);
        return listen_error(err, saved, "unix", path, "listen");
    }
    int listen_fd = fd;
    fd = -1;
    return listen_fd;
}
