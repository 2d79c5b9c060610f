/* image.c: the 1.0 image labels and the CUDA version check. */
#include <stdlib.h>
#include <string.h>

#include "image.h"

/* Return the value of label `key` in config, or NULL. */
static const char *image_label(json_t *config, const char *key)
{
    return json_string_value(json_object_get(json_object_get(config, "Labels"), key));
}

/* Return true when the space-separated list contains word. */
static bool list_has_word(const char *list, const char *word)
{
    size_t word_len = strlen(word);

    for (const char *p = list; *p;) {
        p += strspn(p, " \t\n");
        size_t len = strcspn(p, " \t\n");
        if (len == word_len && strncmp(p, word, len) == 0)
            return true;
        p += len;
    }
    return false;
}

void image_gpu_request(json_t *config, bool nv_gpu_given, struct gpu_request *out)
{
    const char *volumes = image_label(config, IMAGE_LABEL_VOLUMES);
    const char *cuda = image_label(config, IMAGE_LABEL_CUDA);
    bool labelled = volumes && volumes[strspn(volumes, " \t\n")] != '\0';

    memset(out, 0, sizeof(*out));
    if (labelled) {
        out->gpus = true;
        out->driver_volume = list_has_word(volumes, NVD_VOLUME_BASE);
        out->cuda_version = cuda && cuda[strspn(cuda, " \t\n")] ? cuda : NULL;
    }
    if (nv_gpu_given) {
        out->gpus = true;
        out->driver_volume = true;
    }
}

/* Read "<major>.<minor>" at the start of s (after blanks, with an optional
 * sign, as Go's "%d.%d" does). Return false when s does not start so. */
static bool parse_major_minor(const char *s, long *major, long *minor)
{
    char *end;

    s += strspn(s, " \t\n");
    if (!((*s >= '0' && *s <= '9') || ((*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9')))
        return false;
    *major = strtol(s, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9')
        return false;
    *minor = strtol(end + 1, NULL, 10);
    return true;
}

int image_check_cuda(const char *driver_cuda, const char *image_cuda, nvd_error **err)
{
    long driver_major, driver_minor, image_major, image_minor;

    if (!parse_major_minor(image_cuda, &image_major, &image_minor))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid label %s=\"%s\" on the image: expected <major>.<minor>, "
                             "such as 8.0",
                             IMAGE_LABEL_CUDA, image_cuda);
    if (!parse_major_minor(driver_cuda, &driver_major, &driver_minor))
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "the nvidia-docker plugin reported the invalid CUDA version \"%s\"",
                             driver_cuda);
    if (image_major > driver_major || (image_major == driver_major && image_minor > driver_minor))
        return nvd_error_set(err, NVD_ERR_UNSUPPORTED,
                             "unsupported CUDA version: driver %s < image %s",
                             driver_cuda, image_cuda);
    return 0;
}
