/*
 * engine.h: the Docker engine calls nvidia-docker makes before it runs
 * docker: image inspection, image pull and driver volume creation. They go
 * through the Engine API when the engine listens on a local Unix socket,
 * and through the docker command otherwise.
 */
#ifndef NVD_CLI_ENGINE_H
#define NVD_CLI_ENGINE_H

#include <jansson.h>
#include <stdbool.h>

#include "docker_cmd.h"
#include "nvd.h"
#include "scan.h"

#define ENGINE_DEFAULT_SOCKET "/var/run/docker.sock"

/* How to reach the engine that a command line talks to. */
struct engine {
    const struct docker_cmd *docker;
    char *const *globals;   /* docker's global options from our command line */
    size_t global_count;
    char *socket_path;      /* the Engine API socket; NULL: use the docker command */
    char *address;          /* where the engine is, for messages */
    char *context;          /* the docker context that names it, or NULL */
    bool remote;            /* the engine is on another host */
};

/*
 * Choose the engine the way the docker CLI does: -H, then --context, then
 * DOCKER_HOST, then DOCKER_CONTEXT, then the current context of the CLI's
 * config.json, then the default socket. A context other than "default" is
 * reached through the docker command, which can read it.
 */
void engine_init(struct engine *e, const struct docker_cmd *docker,
                 char *const *args, const struct scan_result *scan);
void engine_clear(struct engine *e);

/*
 * Read the docker host of e's context with "docker context inspect" and
 * set e->address to it and e->remote from it. Without a context, nothing
 * happens.
 */
int engine_resolve_context(struct engine *e, nvd_error **err);

/* Return the socket path of a "unix://PATH" host as a new string (the
 * default socket for "unix://"), or NULL for any other host. */
char *engine_host_socket(const char *host);

/* Return true when a docker host ("tcp://h:p", "ssh://u@h", "h:p",
 * "unix://...") names this machine: a Unix socket or a loopback host. */
bool engine_host_is_local(const char *host);

/*
 * Inspect image and set *config to its .Config object (a new reference;
 * an empty object when the image has none). An image that is not present
 * fails with NVD_ERR_NOT_FOUND.
 */
int engine_inspect_image(struct engine *e, const char *image, json_t **config,
                         nvd_error **err);

/* Options of engine_pull_image(): docker pull's --platform and -q. */
struct engine_pull {
    const char *platform;   /* NULL: the engine's own platform */
    bool quiet;             /* no progress, and docker pull's output dropped */
};

/*
 * Run "docker pull [--platform P] [-q] image" with docker's output on our
 * stderr (dropped when quiet). A pull that docker reports as failed is an
 * NVD_ERR_NOT_FOUND error with docker's message.
 */
int engine_pull_image(struct engine *e, const char *image, const struct engine_pull *how,
                      nvd_error **err);

/*
 * Make sure the volume `name` exists with `driver`. Creating a volume that
 * exists with that driver succeeds, and one that exists with another
 * driver is an error.
 */
int engine_create_volume(struct engine *e, const char *name, const char *driver,
                         nvd_error **err);

#endif /* NVD_CLI_ENGINE_H */
