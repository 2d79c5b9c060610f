/*
 * cdi_watch.c: the inotify watches that wake the CDI spec thread when
 * something the spec is rendered from changes.
 *
 * The spec depends on <driver root>/etc/ld.so.cache (the driver version),
 * the nvidia* nodes in <dev root>/dev and <dev root>/dev/nvidia-caps, and
 * the driver volume in <-d>/nvidia_driver. Each directory gets one watch.
 * An event on a name that the spec does not depend on (another node in
 * /dev) wakes the thread, which drops it without a refresh. Opening or
 * closing a device node is no event here, because CUDA programs do that
 * all the time.
 *
 * A required directory that cannot be watched (missing before the driver
 * is installed, or the inotify limits reached) leaves the watch
 * incomplete, and the thread then checks on a timer until it can be added.
 *
 * NOTE: a watch follows the directory it was added on. A file system
 * mounted over that directory later (a driver container that mounts its
 * root at the --driver-root of a running plugin) goes unnoticed until
 * SIGHUP, a discovery or an event elsewhere.
 */
#include <errno.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "plugin.h"
#include "util.h"

/* Events that change the directory's entries, and the loss of the directory itself. */
#define ENTRY_EVENTS (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
                      IN_MOVE_SELF | IN_ONLYDIR)

/* One watched directory: where it is and which of its events matter. */
struct watch_rule {
    const char *path_suffix;   /* appended to the root */
    uint32_t mask;
    const char *name;          /* the entry name, or its prefix when prefix is set; NULL: any */
    bool prefix;
    bool required;             /* without it, the thread checks on a timer */
};

/* Indexed by enum cdi_watch_slot. */
static const struct watch_rule rules[CDI_WATCH_COUNT] = {
    [CDI_WATCH_LDCACHE] = {"/etc", ENTRY_EVENTS | IN_CLOSE_WRITE, "ld.so.cache", false, true},
    [CDI_WATCH_DEV] = {"/dev", ENTRY_EVENTS | IN_ATTRIB, "nvidia", true, true},
    [CDI_WATCH_CAPS] = {"/dev/nvidia-caps", ENTRY_EVENTS | IN_ATTRIB, NULL, false, false},
    /* The thread builds volumes itself, so only a removal matters. */
    [CDI_WATCH_VOLUME] = {"/nvidia_driver", IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |
                          IN_MOVE_SELF | IN_ONLYDIR, NULL, false, false},
};

static const char *rule_root(const struct plugin *plugin, enum cdi_watch_slot slot)
{
    switch (slot) {
    case CDI_WATCH_LDCACHE:
        return plugin->opts.driver_root;
    case CDI_WATCH_DEV:
    case CDI_WATCH_CAPS:
        return flags_dev_root(&plugin->opts);
    case CDI_WATCH_VOLUME:
    default:
        return plugin->opts.volumes_dir;
    }
}

void cdi_watch_open(struct cdi_watch *watch, const struct plugin *plugin)
{
    memset(watch, 0, sizeof(*watch));
    for (size_t i = 0; i < CDI_WATCH_COUNT; i++) {
        watch->wd[i] = -1;
        watch->dirs[i] = nvd_path_join(rule_root(plugin, i), rules[i].path_suffix);
    }
    watch->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (watch->fd < 0)
        nvd_log_error("failed to create an inotify instance (%s): checking the CDI spec every "
                      "%lld ms instead; raise fs.inotify.max_user_instances to avoid it",
                      strerror(errno), plugin->cdi_poll_ms);
    cdi_watch_add_missing(watch);
}

void cdi_watch_close(struct cdi_watch *watch)
{
    if (watch->fd >= 0)
        close(watch->fd);
    watch->fd = -1;
    for (size_t i = 0; i < CDI_WATCH_COUNT; i++) {
        free(watch->dirs[i]);
        watch->dirs[i] = NULL;
    }
}

void cdi_watch_add_missing(struct cdi_watch *watch)
{
    if (watch->fd < 0)
        return;
    for (size_t i = 0; i < CDI_WATCH_COUNT; i++) {
        if (watch->wd[i] >= 0)
            continue;
        watch->wd[i] = inotify_add_watch(watch->fd, watch->dirs[i], rules[i].mask);
        if (watch->wd[i] >= 0 || !rules[i].required)
            continue;
        /* A missing directory is normal before the driver is installed: log other errors. */
        if (errno != ENOENT && errno != ENOTDIR && !watch->logged[i]) {
            nvd_log_error("failed to watch %s (%s): checking the CDI spec on a timer instead",
                          watch->dirs[i], strerror(errno));
            watch->logged[i] = true;
        }
    }
}

bool cdi_watch_complete(const struct cdi_watch *watch)
{
    if (watch->fd < 0)
        return false;
    for (size_t i = 0; i < CDI_WATCH_COUNT; i++)
        if (rules[i].required && watch->wd[i] < 0)
            return false;
    return true;
}

/* Check whether one event may change the spec, and forget a watch the kernel removed. */
static bool event_matters(struct cdi_watch *watch, const struct inotify_event *event)
{
    if (event->mask & IN_Q_OVERFLOW)
        return true;
    for (size_t i = 0; i < CDI_WATCH_COUNT; i++) {
        if (watch->wd[i] != event->wd)
            continue;
        if (event->mask & IN_IGNORED) {
            watch->wd[i] = -1;
            watch->logged[i] = false;
            return true;
        }
        if (event->len == 0 || !rules[i].name)
            return true;
        if (rules[i].prefix)
            return strncmp(event->name, rules[i].name, strlen(rules[i].name)) == 0;
        return strcmp(event->name, rules[i].name) == 0;
    }
    return false;
}

bool cdi_watch_read(struct cdi_watch *watch)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool matters = false;
    ssize_t n;

    if (watch->fd < 0)
        return false;
    while ((n = read(watch->fd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *event = (const struct inotify_event *)p;

            matters |= event_matters(watch, event);
            p += sizeof(*event) + event->len;
        }
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        nvd_log_error("failed to read inotify events (%s): checking the CDI spec again",
                      strerror(errno));
        return true;
    }
    return matters;
}
