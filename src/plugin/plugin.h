/*
 * plugin.h: the state of nvidia-docker-plugin shared by its two APIs, and
 * the request, reply and route types that their handlers use. Handlers
 * never see the HTTP server: http_conn.c turns a reply into an HTTP response.
 */
#ifndef NVD_PLUGIN_H
#define NVD_PLUGIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>

#include "flags.h"
#include "nvd.h"

/* Name of the Unix socket in the -s directory; Docker names the plugin after it. */
#define PLUGIN_SOCKET_NAME "nvidia-docker.sock"

/*
 * How long NVML stays open after the last request that used it, in ms.
 * Long enough that a burst of requests shares one NVML initialisation,
 * short enough that a driver upgrade soon finds /dev/nvidiactl unused.
 */
#define PLUGIN_DRIVER_IDLE_MS 5000

/*
 * How long after discovery, and after the last request that used the
 * driver, the CUDA values are read in the background, in ms: long enough
 * to keep the query's child process out of start-up.
 */
#define PLUGIN_CUDA_READ_DELAY_MS 200

/* Maximum size of a request body, in bytes. Docker's volume requests are far smaller. */
#define PLUGIN_BODY_MAX (64 * 1024)

#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"
#define CONTENT_TYPE_JSON "application/json"
#define CONTENT_TYPE_PLUGIN "application/vnd.docker.plugins.v1+json"

/*
 * A discovered host, shared by the requests that use it. The plugin keeps
 * one reference while the host is current, and each request takes one more.
 */
struct plugin_host {
    struct nvd_host *host;
    atomic_uint refs;

    /*
     * Replies that depend on nothing but the host, rendered on first use:
     * rendering dominates the cost of these requests. Indexed by enum
     * plugin_rendered, guarded by render_lock, freed with the host.
     */
    pthread_mutex_t render_lock;
    char *rendered[8];

    /*
     * Discovery leaves the CUDA values, which need a child process, to
     * the idle thread or to the first request that shows them. cuda_lock
     * serializes reading them, and cuda_done is true once host has them.
     */
    pthread_mutex_t cuda_lock;
    atomic_bool cuda_done;
};

/* The cached replies of a host. */
enum plugin_rendered {
    RENDERED_GPU_INFO_TEXT,
    RENDERED_GPU_INFO_JSON,
    RENDERED_MESOS_CLI,
    RENDERED_DOCKER_CLI_TEXT,        /* all GPUs, /dev/nvidia-uvm-tools absent */
    RENDERED_DOCKER_CLI_JSON,
    RENDERED_DOCKER_CLI_TEXT_TOOLS,  /* all GPUs, /dev/nvidia-uvm-tools present */
    RENDERED_DOCKER_CLI_JSON_TOOLS,
};

/* Create a host reference, holding the plugin's one reference, for host. */
struct plugin_host *plugin_host_new(struct nvd_host *host);

/*
 * Return a copy of the cached reply `which` of ref, rendering it with
 * render(ctx) first when it is missing. Returns NULL when render fails.
 */
char *plugin_host_rendered(struct plugin_host *ref, enum plugin_rendered which,
                           char *(*render)(const void *ctx), const void *ctx);

/*
 * An open driver (NVML) and the host it serves. The plugin keeps one
 * reference while the driver is current, and each request that calls NVML
 * takes one more. NVML closes when the last reference goes.
 */
struct plugin_driver {
    nvd_driver *driver;
    const struct nvd_host *host;    /* host_ref->host */
    struct plugin_host *host_ref;
    struct plugin *plugin;
    unsigned refs;                  /* guarded by plugin->driver_lock */
};

/* The stat() fields of the driver root's etc/ld.so.cache that a rewrite changes. */
struct ldcache_stamp {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime;
};

/* The daemon's state, shared by every request thread. */
struct plugin {
    struct plugin_options opts;
    char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

    long long driver_idle_ms;       /* ms unused before NVML closes; tests shorten it */
    char *ldcache_path;             /* <driver root>/etc/ld.so.cache */

    /*
     * driver_lock guards the fields up to the next blank line and
     * serializes discovery. driver_wake wakes the thread that closes an
     * idle driver (host_cache.c).
     */
    pthread_mutex_t driver_lock;
    pthread_cond_t driver_wake;
    struct plugin_host *host;       /* NULL before discovery, after SIGHUP or a driver change */
    struct plugin_driver *driver;   /* NULL while NVML is closed */
    long long driver_used_ms;       /* monotonic time when a request last used the driver */
    struct ldcache_stamp ldcache;   /* etc/ld.so.cache when the host was discovered */
    char known_version[NVD_VERSION_MAX]; /* last discovered driver version, "" before any */
    bool fresh_discovery;           /* the next discovery follows start, SIGHUP or a driver
                                       change: it logs its steps and runs nvidia-modprobe */
    bool stopping;                  /* plugin_destroy() runs: the idle-close thread ends */

    bool idle_thread_started;
    pthread_t idle_thread;

    pthread_mutex_t volume_lock;    /* serializes volume creation and removal */

    /*
     * The CDI spec in --cdi-dir (cdi_dir.c). cdi_lock guards the fields up
     * to the next blank line. cdi_refresh_lock serializes refreshes.
     */
    pthread_mutex_t cdi_lock;
    int cdi_wake_fd;                /* eventfd that wakes the spec thread; -1 when it does not run */
    bool cdi_stopping;              /* plugin_cdi_stop() runs: the thread ends */

    pthread_mutex_t cdi_refresh_lock;
    long long cdi_poll_ms;          /* ms to wait for a changed etc/ld.so.cache to settle, and
                                       between checks while a directory cannot be watched;
                                       tests shorten it */
    char *cdi_written;              /* text of the spec in the CDI dir; NULL when none */
    struct ldcache_stamp cdi_stamp; /* etc/ld.so.cache when cdi_written was rendered */
    struct ldcache_stamp cdi_seen;  /* etc/ld.so.cache at the previous refresh */
    bool cdi_failing;               /* the last refresh failed and was logged */
    bool cdi_thread_started;
    pthread_t cdi_thread;
};

/* One HTTP request, complete with its body. */
struct request {
    const char *client;          /* "address:port" for TCP, "" for the Unix socket */
    const char *method;
    const char *path;            /* decoded, without the query string */
    const char *query;           /* raw text after "?", or "" */
    const char *accept;          /* Accept header, or NULL */
    const char *body;            /* NUL-terminated; "" when there is none */
    size_t body_len;
    bool body_too_large;         /* the body exceeded PLUGIN_BODY_MAX */
};

/* One HTTP reply. The body is owned_body (freed after sending) or static_body. */
struct reply {
    unsigned status;
    const char *content_type;    /* NULL for none */
    char *owned_body;
    const char *static_body;
    size_t length;
    char *location;              /* Location header of a redirect, owned; NULL for none */
};

typedef void (*route_handler)(struct plugin *plugin, const struct request *req,
                              struct reply *reply);

/* One row of an API's routing table. */
struct route {
    const char *method;
    const char *path;
    route_handler handler;
};

/* Initialize the state with a copy of opts, whose strings must outlive it. */
void plugin_init(struct plugin *plugin, const struct plugin_options *opts);
void plugin_destroy(struct plugin *plugin);

/* Return CLOCK_MONOTONIC in ms, for deadlines and intervals. */
long long plugin_monotonic_ms(void);

/* --- host_cache.c: the driver and the discovered GPUs */

/*
 * Return the current host with a new reference, running discovery first
 * when there is no current host: at start, after SIGHUP, after a failed
 * discovery, or when the driver root's etc/ld.so.cache changed (a driver
 * upgrade). The caller releases the reference with plugin_host_release().
 */
struct plugin_host *plugin_host_acquire(struct plugin *plugin, nvd_error **err);
void plugin_host_release(struct plugin_host *ref);

/*
 * Return the driver, opening NVML when it is closed, with a new reference
 * and the host it serves (discovered first as plugin_host_acquire() does).
 * NVML stays open at least until plugin_driver_release(), even when SIGHUP
 * or a driver change replaces the driver meanwhile.
 */
struct plugin_driver *plugin_driver_acquire(struct plugin *plugin, nvd_error **err);

/*
 * Like plugin_host_acquire() for a request that shows CUDA values: the
 * host returned has them, read through NVML first when they are missing.
 */
struct plugin_host *plugin_host_acquire_cuda(struct plugin *plugin, nvd_error **err);

/* Make sure the driver's host has its CUDA values. */
void plugin_driver_read_cuda(struct plugin_driver *driver);
void plugin_driver_release(struct plugin_driver *ref);

/*
 * Close NVML now unless a request uses it, and drop the host, so that the
 * next request discovers the driver again (SIGHUP).
 */
void plugin_driver_reset(struct plugin *plugin);

/* Start the thread that closes NVML once no request used it for driver_idle_ms. */
int plugin_driver_start_idle_close(struct plugin *plugin, nvd_error **err);

/* Stop the idle-close thread and close NVML; plugin_destroy() calls it. */
void plugin_driver_shutdown(struct plugin *plugin);

static inline void plugin_host_release_ptr(struct plugin_host **ref)
{
    if (*ref)
        plugin_host_release(*ref);
}
#define cleanup_host __attribute__((cleanup(plugin_host_release_ptr)))

static inline void plugin_driver_release_ptr(struct plugin_driver **ref)
{
    if (*ref)
        plugin_driver_release(*ref);
}
#define cleanup_driver __attribute__((cleanup(plugin_driver_release_ptr)))

/*
 * Return the current host with a new reference, or NULL when there is
 * none (before discovery, after SIGHUP), without discovering.
 */
struct plugin_host *plugin_host_peek(struct plugin *plugin);

/* Read the identity of the file at path. A missing file has exists == false. */
void ldcache_stamp_read(const char *path, struct ldcache_stamp *stamp);
bool ldcache_stamp_equal(const struct ldcache_stamp *a, const struct ldcache_stamp *b);

/* --- cdi_dir.c: the CDI spec, served on /cdi/json and kept in --cdi-dir */

/* Default of cdi_poll_ms, in ms. */
#define PLUGIN_CDI_POLL_MS 1000

/*
 * Render the CDI spec of host, building the current driver volume in the
 * -d directory first. Takes volume_lock, so the caller must not hold it.
 */
char *plugin_cdi_render(struct plugin *plugin, const struct nvd_host *host, nvd_error **err);

/*
 * With --cdi-dir, check that the directory is writable, write the spec,
 * and start the thread that rewrites it when the driver, the GPUs or their
 * nodes change, and removes it when it cannot be made current. A missing
 * driver is logged and retried; only an unwritable directory fails.
 * Without --cdi-dir it does nothing.
 */
int plugin_cdi_start(struct plugin *plugin, nvd_error **err);

/* Stop the thread and remove the spec it wrote. plugin_destroy() calls it too. */
void plugin_cdi_stop(struct plugin *plugin);

/* Make the thread refresh the spec now, after a discovery replaced the host or SIGHUP. */
void plugin_cdi_kick(struct plugin *plugin);

/* Bring the spec in --cdi-dir up to date once; what the thread runs on each wake-up. */
int plugin_cdi_refresh(struct plugin *plugin, nvd_error **err);

/* --- cdi_watch.c: the inotify watches that wake the CDI spec thread */

enum cdi_watch_slot {
    CDI_WATCH_LDCACHE,   /* <driver root>/etc, for ld.so.cache */
    CDI_WATCH_DEV,       /* <dev root>/dev, for the nvidia* nodes */
    CDI_WATCH_CAPS,      /* <dev root>/dev/nvidia-caps, for MIG capability nodes */
    CDI_WATCH_VOLUME,    /* <-d>/nvidia_driver, for a removed driver volume */
    CDI_WATCH_COUNT,
};

/* An inotify instance and its watch descriptors, one per slot (-1: not watched). */
struct cdi_watch {
    int fd;                        /* -1 when inotify is unavailable */
    int wd[CDI_WATCH_COUNT];
    char *dirs[CDI_WATCH_COUNT];
    bool logged[CDI_WATCH_COUNT];  /* a failure to watch the slot was logged */
};

/* Create the inotify instance and add the watches whose directories exist. */
void cdi_watch_open(struct cdi_watch *watch, const struct plugin *plugin);
void cdi_watch_close(struct cdi_watch *watch);

/* Retry the watches that are missing, such as a directory that did not exist yet. */
void cdi_watch_add_missing(struct cdi_watch *watch);

/* Check whether every directory that the spec needs is watched, so no timer is needed. */
bool cdi_watch_complete(const struct cdi_watch *watch);

/* Drain the pending events; returns whether any of them may change the spec. */
bool cdi_watch_read(struct cdi_watch *watch);

/* --- modprobe.c: the nvidia-uvm kernel module */

/*
 * Run nvidia-modprobe -u -c=0 from the driver root's binary directories
 * when <dev root>/dev/nvidia-uvm is missing, as nvidia-docker 1.0 did at
 * start. A missing or failing nvidia-modprobe is logged, not returned.
 */
void plugin_load_uvm(const struct plugin_options *opts);

/* --- reply.c: reply builders */

/* Set reply to status with a body that outlives it, such as a literal. */
void reply_static(struct reply *reply, unsigned status, const char *content_type,
                  const char *body);
/* Set reply to status with body, which the reply now owns. */
void reply_owned(struct reply *reply, unsigned status, const char *content_type,
                 char *body);
/* Set reply to a text/plain "<message>\n", as Go's http.Error writes it. */
void reply_error(struct reply *reply, unsigned status, const char *message);
/* Set reply to Go's 404 reply, "404 page not found\n". */
void reply_not_found(struct reply *reply);
/*
 * Set reply to Go's 301 redirect to the canonical form of path (see
 * path_clean.h), keeping query (raw, "" for none). A GET reply has Go's
 * short HTML body.
 */
void reply_redirect(struct reply *reply, const char *method, const char *path,
                    const char *query);
/* Free what reply owns. */
void reply_clear(struct reply *reply);

/* Find the route for method and path in routes[0..count), or NULL. */
const struct route *route_find(const struct route *routes, size_t count,
                               const char *method, const char *path);

/* --- rest.c and volume_api.c: the two APIs */

/* Handle a request of the REST API on the TCP address (-l). */
void rest_dispatch(struct plugin *plugin, const struct request *req, struct reply *reply);

/* Handle a request of Docker's volume plugin protocol on the Unix socket. */
void volume_api_dispatch(struct plugin *plugin, const struct request *req,
                         struct reply *reply);

#endif /* NVD_PLUGIN_H */
