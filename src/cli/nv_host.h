/*
 * nv_host.h: where nvidia-docker finds the plugin's REST API. NV_HOST uses
 * 1.0's grammar, [scheme://][user@][host][:ssh-port]:[http-port], plus the
 * forms that 1.0 rejected but that can mean one thing only. A docker host
 * (DOCKER_HOST, -H) names a remote plugin on the engine's host, as in 1.0.
 *
 * NV_HOST forms (the README's "Remote hosts" section has the same table):
 *   unix://...          local mode, as 1.0
 *   host:  :  (empty)   http://host:3476 (host defaults to localhost), as 1.0
 *   host:PORT           http://host:PORT, as 1.0
 *   host                http://host:3476; 1.0 required the colon
 *   tcp:// http://      HTTP; a trailing "/" is allowed, 1.0 allowed none
 *   ssh://[user@]host:  ssh to host, then localhost:3476 there, as 1.0
 *   ssh://h:S:P         ssh port S, remote http port P, as 1.0
 *   ssh://h:P           remote http port P (1.0's meaning, not ssh port P)
 *   ssh://[user@]host   as ssh://[user@]host:, which 1.0 rejected
 *   [v6addr]:           an IPv6 address in brackets, either case of hex
 * Without a user or ssh port, ssh's own defaults and config apply.
 */
#ifndef NVD_CLI_NV_HOST_H
#define NVD_CLI_NV_HOST_H

#include <stdbool.h>

#include "nvd.h"

#define NV_HOST_DEFAULT_HOST "localhost"
#define NV_HOST_DEFAULT_HTTP_PORT "3476"

enum nv_host_kind {
    NV_HOST_LOCAL,   /* the local plugin, or discovery in this process */
    NV_HOST_HTTP,    /* HTTP to host:http_port */
    NV_HOST_SSH,     /* ssh to host, then HTTP to localhost:http_port there */
};

struct nv_host {
    enum nv_host_kind kind;
    char *user;       /* ssh only; NULL: ssh's default */
    char *host;       /* a name or an address; IPv6 without brackets */
    char *ssh_port;   /* NULL: ssh's default */
    char *http_port;  /* "3476" unless given */
};

/*
 * Parse an NV_HOST value into out. An empty value is local mode. Bad input
 * fails with NVD_ERR_INVALID naming the value and the form expected.
 * Release with nv_host_clear().
 */
int nv_host_parse(const char *value, struct nv_host *out, nvd_error **err);

/*
 * Turn a remote docker host (DOCKER_HOST, -H: "tcp://h:2376", "h:2376",
 * "ssh://user@h:22") into the plugin on that host: HTTP to h:3476, or ssh
 * to the same user, host and ssh port. The engine's port is never the
 * plugin's, so the http port is always 3476, as in 1.0. A unix:// host is
 * local mode.
 */
int nv_host_from_docker_host(const char *docker_host, struct nv_host *out, nvd_error **err);

/* Return a new string naming h for messages: "10.0.0.1:3476",
 * "ssh://root@h:2222 (localhost:3476 there)". */
char *nv_host_describe(const struct nv_host *h);

/* Return true when h is a loopback host (localhost, 127.x, ::1). */
bool nv_host_is_loopback(const struct nv_host *h);

void nv_host_clear(struct nv_host *h);

#endif /* NVD_CLI_NV_HOST_H */
