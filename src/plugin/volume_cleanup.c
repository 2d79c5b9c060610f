/*
 * volume_cleanup.c: deletes what the volumes directory no longer needs:
 * temporary trees of builds killed mid-way, and directories of older
 * driver versions once no container mounts them. At start it also creates
 * the directory of the version directories.
 *
 * A half-built volume never sits under a version's name, because
 * nvd_volume_create() builds in <-d>/.build-<version>-XXXXXX and renames
 * the complete tree into place. So an existing version directory is
 * complete, and only the .build-* trees need removing at start.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin.h"
#include "util.h"
#include "volume_state.h"

void volume_cleanup_builds(const char *volumes_dir)
{
    cleanup_dir DIR *dir = opendir(volumes_dir);
    struct dirent *entry;

    if (!dir) {
        if (errno != ENOENT)
            nvd_log_error("failed to list %s for leftover volume builds: %s", volumes_dir,
                          strerror(errno));
        return;
    }
    /* NOTE: a build of another plugin process sharing this -d would be deleted too. */
    while ((entry = readdir(dir))) {
        if (strncmp(entry->d_name, ".build-", 7) != 0)
            continue;
        cleanup_free char *path = nvd_xasprintf("%s/%s", volumes_dir, entry->d_name);
        cleanup_error nvd_error *err = NULL;
        if (nvd_remove_tree(path, &err) < 0)
            nvd_log_error("failed to remove the unfinished volume build %s: %s", path, err->msg);
        else
            nvd_log("Removed the unfinished volume build %s", path);
    }
}

void volume_cleanup_versions(const char *volumes_dir, const struct volume_state *state,
                             const char *current)
{
    cleanup_free char *base = nvd_xasprintf("%s/%s", volumes_dir, NVD_VOLUME_BASE);
    cleanup_dir DIR *dir = opendir(base);
    struct dirent *entry;

    if (!dir) {
        if (errno != ENOENT)
            nvd_log_error("failed to list %s for older volume versions: %s", base,
                          strerror(errno));
        return;
    }
    while ((entry = readdir(dir))) {
        cleanup_free char *name = nvd_xasprintf(NVD_VOLUME_BASE "_%s", entry->d_name);
        char version[NVD_VERSION_MAX];

        if (nvd_volume_parse(name, version, sizeof(version), NULL) < 0)
            continue;
        if (strcmp(version, current) == 0 || volume_state_version_in_use(state, version))
            continue;

        cleanup_free char *path = nvd_volume_path(volumes_dir, version);
        cleanup_error nvd_error *err = NULL;
        if (nvd_remove_tree(path, &err) < 0)
            nvd_log_error("failed to remove %s, the unused volume of driver %s: %s", path,
                          version, err->msg);
        else
            nvd_log("Removed %s: driver %s is not current and no container mounts it", path,
                    version);
    }
}

void volume_cleanup_at_start(struct plugin *plugin)
{
    const char *volumes_dir = plugin->opts.volumes_dir;
    cleanup_volume_state struct volume_state state = {0};
    cleanup_error nvd_error *err = NULL;

    pthread_mutex_lock(&plugin->volume_lock);
    volume_cleanup_builds(volumes_dir);

    /*
     * Create <-d>/nvidia_driver now, so that the first Create allocates
     * only the volume's own inodes, which dominate its time on ext4. Create
     * reports a failure here, such as a read-only -d, when it tries again.
     */
    cleanup_free char *base = nvd_path_join(volumes_dir, NVD_VOLUME_BASE);
    mkdir(base, 0755);

    if (volume_state_load(volumes_dir, &state, &err) < 0) {
        nvd_log_error("%s. Every volume directory is kept until it is readable", err->msg);
    } else {
        struct plugin_host *ref = plugin_host_acquire(plugin, &err);
        if (ref) {
            volume_cleanup_versions(volumes_dir, &state, ref->host->driver_version);
            plugin_host_release(ref);
        }
        /* Without a driver the current version is unknown: nothing is deleted. */
    }
    pthread_mutex_unlock(&plugin->volume_lock);
}
