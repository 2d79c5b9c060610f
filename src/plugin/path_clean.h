/*
 * path_clean.h: request paths made canonical as Go's http.ServeMux does,
 * which served nvidia-docker 1.0's REST API: a path with "//", "." or
 * ".." elements, or without a leading "/", gets a 301 redirect to its
 * cleaned form.
 */
#ifndef NVD_PLUGIN_PATH_CLEAN_H
#define NVD_PLUGIN_PATH_CLEAN_H

#include <stdbool.h>

#include "util.h"

/* Return whether path_clean(path) would return path unchanged. */
bool path_is_clean(const char *path);

/*
 * Return path cleaned as Go's ServeMux does: rooted, with path.Clean's
 * rules ("//" becomes "/", "." elements go, ".." removes the element
 * before it and cannot climb above "/"), and a trailing "/" kept. The
 * caller frees the result.
 */
char *path_clean(const char *path);

/*
 * Append path to b with every byte percent-encoded except those that Go's
 * url.URL.EscapedPath leaves alone: letters, digits and -._~$&+,/:;=@.
 */
void path_escape(struct nvd_buf *b, const char *path);

#endif /* NVD_PLUGIN_PATH_CLEAN_H */
