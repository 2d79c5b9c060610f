/*
 * tabwriter.h: the column layout of Go's text/tabwriter with the settings
 * that nvidia-docker 1.0 used for its text replies (minimum width 0,
 * padding 0, padded with spaces, no flags). Internal: not part of the
 * installed API.
 */
#ifndef NVD_TABWRITER_H
#define NVD_TABWRITER_H

#include <stddef.h>

#include "util.h"

/*
 * Append text[0..len) to out with its tab-separated cells aligned in
 * columns, byte for byte as Go's text/tabwriter writes the same input
 * followed by a Flush.
 */
void nvd_tabwriter_format(struct nvd_buf *out, const char *text, size_t len);

#endif /* NVD_TABWRITER_H */
