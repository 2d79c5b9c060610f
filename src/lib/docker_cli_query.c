/* docker_cli_query.c: the /docker/cli reply for a dev= and vol= query. */
#include <string.h>

#include "docker_cli_query.h"
#include "util.h"

/*
 * Reject a dev= value with an empty piece, as 1.0 did when splitting on
 * single spaces: "0++1" and "0+" fail with "invalid device: ". The
 * selection grammar itself skips empty pieces.
 */
static int check_device_pieces(const char *dev, nvd_error **err)
{
    if (!dev || dev[0] == '\0')
        return 0;
    if (dev[0] == ' ' || dev[strlen(dev) - 1] == ' ' || strstr(dev, "  "))
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: ");
    return 0;
}

/*
 * Check the pieces of a vol= value against the known volumes and count
 * them. NULL, "" and "*" mean every volume, counted as 0.
 */
static int count_requested_volumes(const char *vol, size_t *count, nvd_error **err)
{
    *count = 0;
    if (!vol || vol[0] == '\0' || strcmp(vol, "*") == 0)
        return 0;

    /* 1.0 splits on single spaces, so "a  b" has an empty piece, which is invalid. */
    const char *piece = vol;
    for (;;) {
        size_t len = strcspn(piece, " ");
        if (len != strlen(NVD_VOLUME_BASE) || memcmp(piece, NVD_VOLUME_BASE, len) != 0)
            return nvd_error_set(err, NVD_ERR_INVALID, "invalid volume: %.*s", (int)len, piece);
        (*count)++;
        if (piece[len] == '\0')
            return 0;
        piece += len + 1;
    }
}

char *nvd_docker_cli_query(const struct nvd_host *host, const char *dev, const char *vol,
                           char *(*render)(const struct nvd_docker_args *), nvd_error **err)
{
    struct nvd_selection sel = {0};
    struct nvd_docker_args args = {0};
    size_t volume_count;

    if (check_device_pieces(dev, err) < 0 ||
        nvd_select(host, dev, " ", true, &sel, err) < 0 ||
        count_requested_volumes(vol, &volume_count, err) < 0 ||
        nvd_docker_args_collect(host, &sel, &args, err) < 0) {
        nvd_selection_clear(&sel);
        return NULL;
    }
    nvd_selection_clear(&sel);

    /*
     * An explicit vol= gives one --volume per piece, as 1.0 did, so the
     * rendered view repeats the driver volume; "all" keeps the library's list.
     */
    struct nvd_docker_args view = args;
    cleanup_free char **repeated = NULL;
    if (volume_count > 0 && args.volume_count > 0) {
        repeated = nvd_xcalloc(volume_count, sizeof(*repeated));
        for (size_t i = 0; i < volume_count; i++)
            repeated[i] = args.volumes[0];
        view.volumes = repeated;
        view.volume_count = volume_count;
    }

    char *body = render(&view);
    nvd_docker_args_clear(&args);
    if (!body)
        nvd_error_set(err, NVD_ERR_SYSTEM, "failed to render the docker arguments: a device path is too long");
    return body;
}
