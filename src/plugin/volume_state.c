/*
 * volume_state.c: the state file <-d>/mounts.json, for example
 * {"Volumes":["nvidia_driver_375.66"],
 *  "Mounts":[{"Name":"nvidia_driver_375.66","ID":"3f2a...","Version":"390.48"}]}
 * "Version" is the directory served to that mount, which differs from the
 * name's version after a driver upgrade. Callers hold the plugin's
 * volume_lock from load to save.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"
#include "volume_state.h"

static inline void json_decref_ptr(json_t **json) { json_decref(*json); }
#define cleanup_json __attribute__((cleanup(json_decref_ptr)))

void volume_state_clear(struct volume_state *state)
{
    for (size_t i = 0; i < state->name_count; i++)
        free(state->names[i]);
    for (size_t i = 0; i < state->mount_count; i++) {
        free(state->mounts[i].name);
        free(state->mounts[i].id);
        free(state->mounts[i].version);
    }
    free(state->names);
    free(state->mounts);
    memset(state, 0, sizeof(*state));
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool volume_state_add_name(struct volume_state *state, const char *name)
{
    for (size_t i = 0; i < state->name_count; i++) {
        if (strcmp(state->names[i], name) == 0)
            return false;
    }
    state->names = nvd_xrealloc(state->names, (state->name_count + 1) * sizeof(char *));
    state->names[state->name_count++] = nvd_xstrdup(name);
    qsort(state->names, state->name_count, sizeof(char *), compare_names);
    return true;
}

void volume_state_remove_name(struct volume_state *state, const char *name)
{
    for (size_t i = 0; i < state->name_count; i++) {
        if (strcmp(state->names[i], name) == 0) {
            free(state->names[i]);
            memmove(&state->names[i], &state->names[i + 1],
                    (state->name_count - i - 1) * sizeof(char *));
            state->name_count--;
            return;
        }
    }
}

static ssize_t find_mount(const struct volume_state *state, const char *name, const char *id)
{
    for (size_t i = 0; i < state->mount_count; i++) {
        if (strcmp(state->mounts[i].name, name) == 0 && strcmp(state->mounts[i].id, id) == 0)
            return (ssize_t)i;
    }
    return -1;
}

bool volume_state_add_mount(struct volume_state *state, const char *name, const char *id,
                            const char *version)
{
    if (find_mount(state, name, id) >= 0)
        return false;
    state->mounts = nvd_xrealloc(state->mounts,
                                 (state->mount_count + 1) * sizeof(struct volume_mount));
    state->mounts[state->mount_count++] = (struct volume_mount){
        .name = nvd_xstrdup(name),
        .id = nvd_xstrdup(id),
        .version = nvd_xstrdup(version),
    };
    return true;
}

bool volume_state_remove_mount(struct volume_state *state, const char *name, const char *id)
{
    ssize_t i = find_mount(state, name, id);

    if (i < 0)
        return false;
    struct volume_mount *m = &state->mounts[i];
    free(m->name);
    free(m->id);
    free(m->version);
    memmove(m, m + 1, (state->mount_count - (size_t)i - 1) * sizeof(*m));
    state->mount_count--;
    return true;
}

size_t volume_state_mounts_of(const struct volume_state *state, const char *name)
{
    size_t count = 0;

    for (size_t i = 0; i < state->mount_count; i++) {
        if (strcmp(state->mounts[i].name, name) == 0)
            count++;
    }
    return count;
}

bool volume_state_version_in_use(const struct volume_state *state, const char *version)
{
    for (size_t i = 0; i < state->mount_count; i++) {
        if (strcmp(state->mounts[i].version, version) == 0)
            return true;
    }
    return false;
}

/* Return the string member key of object, or NULL when it is missing or no string. */
static const char *string_member(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

/* Fill state from root, the parsed file at path, which the errors name. */
static int state_from_json(const json_t *root, const char *path, struct volume_state *state,
                           nvd_error **err)
{
    const json_t *names = json_object_get(root, "Volumes");
    const json_t *mounts = json_object_get(root, "Mounts");
    const json_t *item;
    size_t i;

    if (!json_is_object(root) || (names && !json_is_array(names)) ||
        (mounts && !json_is_array(mounts)))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid volume state in %s: expected an object with the arrays "
                             "Volumes and Mounts (fix or delete the file)", path);
    json_array_foreach(names, i, item) {
        if (!json_is_string(item))
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid volume state in %s: Volumes[%zu] is not a string "
                                 "(fix or delete the file)", path, i);
        volume_state_add_name(state, json_string_value(item));
    }
    json_array_foreach(mounts, i, item) {
        const char *name = string_member(item, "Name");
        const char *id = string_member(item, "ID");
        const char *version = string_member(item, "Version");

        if (!name || !id || !version)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid volume state in %s: Mounts[%zu] lacks the string "
                                 "Name, ID or Version (fix or delete the file)", path, i);
        volume_state_add_mount(state, name, id, version);
    }
    return 0;
}

/*
 * Read the file at path into *text (NUL-terminated) and its length into
 * *len. *text is NULL when the file does not exist. It reads 64 KiB per
 * read(2): json_load_file() calls fgetc() per byte, which took a fifth of
 * the plugin's CPU time (perf) under 200 concurrent Mounts.
 */
static int read_state_file(const char *path, char **text, size_t *len, nvd_error **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct nvd_buf b = {0};
    char chunk[65536];

    *text = NULL;
    *len = 0;
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return nvd_error_sys(err, errno, "failed to open the volume state %s", path);
    }
    nvd_buf_puts(&b, "");
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            nvd_buf_free(&b);
            return nvd_error_sys(err, saved, "failed to read the volume state %s", path);
        }
        if (n == 0)
            break;
        nvd_buf_append(&b, chunk, (size_t)n);
    }
    *len = b.len;
    *text = nvd_buf_steal(&b);
    return 0;
}

int volume_state_load(const char *volumes_dir, struct volume_state *state, nvd_error **err)
{
    cleanup_free char *path = nvd_path_join(volumes_dir, "/" VOLUME_STATE_FILE);
    cleanup_free char *text = NULL;
    json_error_t json_err;
    size_t len;

    memset(state, 0, sizeof(*state));
    if (read_state_file(path, &text, &len, err) < 0)
        return -1;
    /* A machine crash after the rename may leave the file empty (see volume_state_save). */
    if (!text || len == 0)
        return 0;
    cleanup_json json_t *root = json_loadb(text, len, 0, &json_err);
    if (!root)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "failed to read the volume state %s at line %d: %s "
                             "(fix or delete the file)", path, json_err.line, json_err.text);
    if (state_from_json(root, path, state, err) < 0) {
        volume_state_clear(state);
        return -1;
    }
    return 0;
}

/* Return the state as a JSON object. */
static json_t *state_to_json(const struct volume_state *state)
{
    json_t *root = json_object();
    json_t *names = json_array();
    json_t *mounts = json_array();

    for (size_t i = 0; i < state->name_count; i++)
        json_array_append_new(names, json_string(state->names[i]));
    for (size_t i = 0; i < state->mount_count; i++) {
        const struct volume_mount *m = &state->mounts[i];
        json_array_append_new(mounts, json_pack("{s:s, s:s, s:s}", "Name", m->name,
                                                "ID", m->id, "Version", m->version));
    }
    json_object_set_new(root, "Volumes", names);
    json_object_set_new(root, "Mounts", mounts);
    return root;
}

/* Write state to a temporary file in volumes_dir and rename it to mounts.json. */
static int save_state(const char *volumes_dir, const struct volume_state *state, nvd_error **err)
{
    cleanup_free char *path = nvd_path_join(volumes_dir, "/" VOLUME_STATE_FILE);
    cleanup_free char *tmp = nvd_xasprintf("%s.tmp-XXXXXX", path);
    cleanup_json json_t *root = state_to_json(state);
    cleanup_free char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    cleanup_close int fd = -1;
    size_t len = strlen(text);

    /* The directory exists after the first save, so it is created only when missing. */
    fd = mkstemp(tmp);
    if (fd < 0 && errno == ENOENT) {
        if (nvd_mkdir_parents(volumes_dir, 0755, err) < 0)
            return -1;
        memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6);
        fd = mkstemp(tmp);
    }
    if (fd < 0)
        return nvd_error_sys(err, errno, "failed to create %s to save the volume state", tmp);
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            unlink(tmp);
            return nvd_error_sys(err, saved, "failed to write the volume state to %s", tmp);
        }
        done += (size_t)n;
    }
    /*
     * No fsync: the records describe running containers, and a machine
     * crash stops them all, so a file lost or left empty by a crash (see
     * volume_state_load) is still right. A crash of the plugin alone keeps
     * the file, because the kernel has it.
     */
    if (fchmod(fd, 0644) < 0) {
        int saved = errno;
        unlink(tmp);
        return nvd_error_sys(err, saved, "failed to set the mode of %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        return nvd_error_sys(err, saved, "failed to rename %s to %s", tmp, path);
    }
    return 0;
}

int volume_state_save(const char *volumes_dir, const struct volume_state *state,
                      nvd_error **err)
{
    if (save_state(volumes_dir, state, err) == 0)
        return 0;
    nvd_error_add_space_hint(err, volumes_dir, "retry the request");
    return -1;
}
