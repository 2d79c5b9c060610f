/*
 * volume_state.h: what the volume plugin must remember across restarts:
 * the volume names Docker created and which containers mount which volume.
 * The state lives in <-d>/mounts.json, and volume_cleanup.c deletes the
 * directories that no mount needs.
 */
#ifndef NVD_VOLUME_STATE_H
#define NVD_VOLUME_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "nvd.h"

/* Name of the state file in the volumes directory (-d). */
#define VOLUME_STATE_FILE "mounts.json"

struct plugin;

/* One mount: Docker's caller ID of a volume name, and the directory version served. */
struct volume_mount {
    char *name;
    char *id;
    char *version;
};

/* The contents of the state file. */
struct volume_state {
    char **names;                /* volume names Docker created or mounted, sorted */
    size_t name_count;
    struct volume_mount *mounts;
    size_t mount_count;
};

/*
 * Read <volumes_dir>/mounts.json into state. A missing file is the empty
 * state. A file that is not valid JSON of the expected shape is an error
 * that names it, because ignoring it could delete a directory in use.
 */
int volume_state_load(const char *volumes_dir, struct volume_state *state, nvd_error **err);

/* Write state to <volumes_dir>/mounts.json through a temporary file and rename(). */
int volume_state_save(const char *volumes_dir, const struct volume_state *state,
                      nvd_error **err);

void volume_state_clear(struct volume_state *state);

/* Add name to the known names. Returns false when it was already there. */
bool volume_state_add_name(struct volume_state *state, const char *name);
/* Drop name from the known names. */
void volume_state_remove_name(struct volume_state *state, const char *name);

/*
 * Record that the caller id mounts name, served from the directory of
 * version. Returns false when that (name, id) pair was already recorded.
 */
bool volume_state_add_mount(struct volume_state *state, const char *name, const char *id,
                            const char *version);
/* Drop the mount (name, id). Returns false when it was not recorded. */
bool volume_state_remove_mount(struct volume_state *state, const char *name, const char *id);

/* Return the number of mounts of the volume name. */
size_t volume_state_mounts_of(const struct volume_state *state, const char *name);

/* Check whether a mount is served from the directory of version. */
bool volume_state_version_in_use(const struct volume_state *state, const char *version);

static inline void volume_state_clear_ptr(struct volume_state *state)
{
    volume_state_clear(state);
}
#define cleanup_volume_state __attribute__((cleanup(volume_state_clear_ptr)))

/* --- volume_cleanup.c */

/* Delete the <volumes_dir>/.build-* directories of builds killed mid-way, and log each. */
void volume_cleanup_builds(const char *volumes_dir);

/*
 * Delete the version directories under <volumes_dir>/nvidia_driver other
 * than current that no mount in state is served from, and log each.
 */
void volume_cleanup_versions(const char *volumes_dir, const struct volume_state *state,
                             const char *current);

/*
 * Clean the volumes directory at start: leftover builds, and older
 * versions that nothing mounts. Then create its nvidia_driver directory,
 * so that the first Create builds only the volume. Errors are logged or
 * left for Create, not returned.
 */
void volume_cleanup_at_start(struct plugin *plugin);

#endif /* NVD_VOLUME_STATE_H */
