/*
 * util.h: small helpers shared by libnvd and its programs: cleanup
 * attributes that release a local when it goes out of scope, and a growing
 * string buffer. Internal: not part of the installed API.
 */
#ifndef NVD_UTIL_H
#define NVD_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nvd.h"

static inline void nvd_free_ptr(void *p) { free(*(void **)p); }
static inline void nvd_close_ptr(int *fd) { if (*fd >= 0) close(*fd); }
static inline void nvd_fclose_ptr(FILE **f) { if (*f) fclose(*f); }
static inline void nvd_closedir_ptr(DIR **d) { if (*d) closedir(*d); }
static inline void nvd_error_free_ptr(nvd_error **e) { nvd_error_free(*e); }

/* Release the marked local when it goes out of scope. */
#define cleanup_free __attribute__((cleanup(nvd_free_ptr)))
#define cleanup_close __attribute__((cleanup(nvd_close_ptr)))
#define cleanup_file __attribute__((cleanup(nvd_fclose_ptr)))
#define cleanup_dir __attribute__((cleanup(nvd_closedir_ptr)))
#define cleanup_error __attribute__((cleanup(nvd_error_free_ptr)))

/* Return *p and set it to NULL, handing ownership out of a cleanup local. */
#define steal_pointer(p) __extension__({ __typeof__(*(p)) steal_tmp_ = *(p); *(p) = NULL; steal_tmp_; })

/* Like malloc, calloc, strdup and asprintf, but abort on out of memory. */
void *nvd_xmalloc(size_t size);
void *nvd_xcalloc(size_t n, size_t size);
void *nvd_xrealloc(void *p, size_t size);
char *nvd_xstrdup(const char *s);
char *nvd_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A NUL-terminated string that grows as text is appended. */
struct nvd_buf {
    char *data;
    size_t len;
    size_t cap;
};

void nvd_buf_append(struct nvd_buf *b, const char *s, size_t n);
void nvd_buf_puts(struct nvd_buf *b, const char *s);
void nvd_buf_printf(struct nvd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Return the text and leave b empty; the caller frees the text. */
char *nvd_buf_steal(struct nvd_buf *b);
void nvd_buf_free(struct nvd_buf *b);

/* Create path and its missing parents with mode, as mkdir -p does. */
int nvd_mkdir_parents(const char *path, unsigned mode, nvd_error **err);

/*
 * Append to err, when its errno is ENOSPC or EDQUOT, what to do: free
 * space on the file system of volumes_dir or choose another -d, then
 * retry (such as "create the volume again"). Other errors are left as
 * they are.
 */
void nvd_error_add_space_hint(nvd_error **err, const char *volumes_dir, const char *retry);

/* Join root and an absolute path ("/" + "/etc/x" is "/etc/x"). */
char *nvd_path_join(const char *root, const char *path);

/* Check whether the device node at <dev_root><path> exists (docker_args.c). */
bool nvd_dev_node_exists(const char *dev_root, const char *path);

#endif /* NVD_UTIL_H */
