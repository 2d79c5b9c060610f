/* image.c: the GPU decision for a container, and the requirement checks of
 * its image. */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "plugin_client.h"
#include "quote.h"
#include "util.h"

#define BLANKS " \t\n"

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

/* Return true when s has something besides blanks. */
static bool has_text(const char *s)
{
    return s && s[strspn(s, BLANKS)] != '\0';
}

/* Return true when the selection is the single piece "void". */
static bool selects_void(const char *selection)
{
    const char *p = selection + strspn(selection, " ,");
    size_t len = strcspn(p, " ,");

    return len == 4 && strncmp(p, "void", 4) == 0 && p[len + strspn(p + len, " ,")] == '\0';
}

/* Return the pieces of an NV_GPU-style selection joined by single commas,
 * so that "0, 1" and "0,1" compare equal. */
static char *normalize_selection(const char *selection)
{
    struct nvd_buf out = { 0 };

    nvd_buf_puts(&out, "");
    for (const char *p = selection; *p;) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, " ,");
        if (len == 0)
            break;
        if (out.len > 0)
            nvd_buf_puts(&out, ",");
        nvd_buf_append(&out, p, len);
        p += len;
    }
    return nvd_buf_steal(&out);
}

/* Parse a boolean as Go's strconv.ParseBool does. */
static int parse_go_bool(const char *s, bool *out)
{
    static const char *const truths[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *const lies[] = { "0", "f", "F", "FALSE", "false", "False" };

    for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
        if (strcmp(s, truths[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, lies[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* Append a requirement to req. */
static void add_requirement(struct gpu_request *req, const char *name, size_t name_len,
                            const char *expr)
{
    req->requirements = nvd_xrealloc(req->requirements,
                                     (req->requirement_count + 1) * sizeof(*req->requirements));
    req->requirements[req->requirement_count++] = (struct image_requirement){
        .name = nvd_xasprintf("%.*s", (int)name_len, name),
        .expr = nvd_xstrdup(expr),
    };
}

/* Collect the requirements of env into req: NVIDIA_REQUIRE_* (but the
 * Jetpack one, which concerns Jetson boards), and for a legacy image the
 * CUDA version of CUDA_VERSION. */
static int collect_requirements(const struct container_env *env, struct gpu_request *req,
                                nvd_error **err)
{
    static const char prefix[] = "NVIDIA_REQUIRE_";
    const char *disable = container_env_get(env, "NVIDIA_DISABLE_REQUIRE");
    bool disabled = false;

    if (disable && parse_go_bool(disable, &disabled) < 0) {
        cleanup_free char *shown = nvd_quote_str(disable);
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid NVIDIA_DISABLE_REQUIRE=\"%s\": expected true or false "
                             "(or 1 or 0)",
                             shown);
    }
    if (disabled)
        return 0;

    for (size_t i = 0; i < env->count; i++) {
        const char *var = env->vars[i];
        size_t name_len = strcspn(var, "=");
        if (strncmp(var, prefix, sizeof(prefix) - 1) != 0 ||
            strncmp(var, "NVIDIA_REQUIRE_JETPACK=", name_len + 1) == 0)
            continue;
        add_requirement(req, var, name_len, var + name_len + 1);
    }

    const char *cuda = container_env_get(env, "CUDA_VERSION");
    if (!cuda || container_env_get(env, "NVIDIA_REQUIRE_CUDA"))
        return 0;
    size_t major = strspn(cuda, "0123456789");
    size_t minor = cuda[major] == '.' ? strspn(cuda + major + 1, "0123456789") : 0;
    if (major == 0 || (cuda[major] != '\0' && minor == 0) ||
        (minor > 0 && cuda[major + 1 + minor] != '\0' && cuda[major + 1 + minor] != '.')) {
        cleanup_free char *shown = nvd_quote_str(cuda);
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid CUDA_VERSION=\"%s\": expected a version such as 8.0 or "
                             "8.0.61; add -e NVIDIA_DISABLE_REQUIRE=true to skip the check",
                             shown);
    }
    cleanup_free char *expr =
        minor > 0 ? nvd_xasprintf("cuda>=%.*s", (int)(major + 1 + minor), cuda)
                  : nvd_xasprintf("cuda>=%.*s", (int)major, cuda);
    cleanup_free char *name = nvd_xasprintf("CUDA_VERSION=%s", cuda);
    add_requirement(req, name, strlen(name), expr);
    return 0;
}

/* The longest selection sent to the plugin. A full GPU UUID has 40
 * characters, so this leaves room for about 200 of them, and the request
 * stays below the plugin's limit on a request line (16 KiB). */
#define SELECTION_MAX 8192

/* Check that a selection can be sent to the plugin: no control character,
 * at most SELECTION_MAX bytes. where names it ("NV_GPU"). */
static int check_selection(const char *where, const char *value, nvd_error **err)
{
    size_t len = strlen(value);

    if (len > SELECTION_MAX)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "%s is %zu characters long, more than the %d a GPU selection may "
                             "have: list fewer GPUs, or use all",
                             where, len, SELECTION_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < ' ' || c == 0x7f)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid %s: it contains the control character 0x%02x; "
                                 "separate GPUs with commas, as in 0,1",
                                 where, c);
    }
    return 0;
}

/* Choose the source and selection of req from the user's choice and env. */
static int choose_gpus(bool labelled, const struct container_env *env,
                       const struct gpu_choice *choice, struct gpu_request *req,
                       nvd_error **err)
{
    const char *visible = container_env_get(env, "NVIDIA_VISIBLE_DEVICES");
    bool legacy = container_env_get(env, "CUDA_VERSION") != NULL &&
                  container_env_get(env, "NVIDIA_REQUIRE_CUDA") == NULL;

    if (choice->nv_gpu && choice->gpus) {
        cleanup_free char *a = normalize_selection(choice->nv_gpu);
        cleanup_free char *b = normalize_selection(choice->gpus);
        if (strcmp(a, b) != 0) {
            cleanup_free char *nv_gpu = nvd_quote_str(choice->nv_gpu);
            cleanup_free char *gpus = nvd_quote_str(choice->gpus_value);
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "NV_GPU=%s and --gpus %s choose different GPUs: give only "
                                 "one of them",
                                 nv_gpu, gpus);
        }
    }

    if (choice->nv_gpu) {
        req->source = GPU_SOURCE_NV_GPU;
        req->selection = nvd_xstrdup(choice->nv_gpu);
    } else if (choice->gpus) {
        req->source = GPU_SOURCE_GPUS_FLAG;
        req->selection = nvd_xstrdup(choice->gpus);
    } else if (has_text(visible)) {
        req->source = GPU_SOURCE_ENV;
        req->selection = nvd_xstrdup(visible);
    } else if (visible && !labelled) {
        return 0;   /* set but empty: no GPU, as NVIDIA's runtime does */
    } else if (labelled) {
        req->source = GPU_SOURCE_LABEL;
        return 0;
    } else if (legacy) {
        req->source = GPU_SOURCE_LEGACY;
        return 0;
    } else {
        return 0;
    }

    if (check_selection(gpu_source_name(req->source), req->selection, err) < 0)
        return -1;
    if (selects_void(req->selection)) {
        free(req->selection);
        req->selection = NULL;
        req->source = GPU_SOURCE_NONE;
    }
    return 0;
}

int image_gpu_request(json_t *config, const struct container_env *env,
                      const struct gpu_choice *choice, struct gpu_request *out,
                      nvd_error **err)
{
    const char *volumes = image_label(config, IMAGE_LABEL_VOLUMES);
    const char *cuda = image_label(config, IMAGE_LABEL_CUDA);
    bool labelled = has_text(volumes);

    memset(out, 0, sizeof(*out));
    if (choose_gpus(labelled, env, choice, out, err) < 0) {
        gpu_request_clear(out);
        return -1;
    }
    if (out->source == GPU_SOURCE_NONE)
        return 0;

    out->gpus = true;
    out->driver_volume = out->source != GPU_SOURCE_LABEL || list_has_word(volumes, NVD_VOLUME_BASE);
    if (labelled)
        out->cuda_version = has_text(cuda) ? cuda : NULL;
    if (collect_requirements(env, out, err) < 0) {
        gpu_request_clear(out);
        return -1;
    }
    return 0;
}

void gpu_request_clear(struct gpu_request *req)
{
    for (size_t i = 0; i < req->requirement_count; i++) {
        free(req->requirements[i].name);
        free(req->requirements[i].expr);
    }
    free(req->requirements);
    free(req->selection);
    memset(req, 0, sizeof(*req));
}

const char *gpu_source_name(enum gpu_source source)
{
    switch (source) {
    case GPU_SOURCE_NONE: return "nothing";
    case GPU_SOURCE_LABEL: return "the label " IMAGE_LABEL_VOLUMES;
    case GPU_SOURCE_LEGACY: return "CUDA_VERSION";
    case GPU_SOURCE_ENV: return "NVIDIA_VISIBLE_DEVICES";
    case GPU_SOURCE_NV_GPU: return "NV_GPU";
    case GPU_SOURCE_GPUS_FLAG: return "--gpus";
    }
    return "nothing";
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

    if (!parse_major_minor(image_cuda, &image_major, &image_minor)) {
        cleanup_free char *shown = nvd_quote_str(image_cuda);
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid label %s=\"%s\" on the image: expected <major>.<minor>, "
                             "such as 8.0",
                             IMAGE_LABEL_CUDA, shown);
    }
    if (!parse_major_minor(driver_cuda, &driver_major, &driver_minor)) {
        cleanup_free char *shown = nvd_quote_str(driver_cuda);
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "the nvidia-docker plugin reported the invalid CUDA version \"%s\"",
                             shown);
    }
    if (image_major > driver_major || (image_major == driver_major && image_minor > driver_minor))
        return nvd_error_set(err, NVD_ERR_UNSUPPORTED,
                             "unsupported CUDA version: driver %s < image %s",
                             driver_cuda, image_cuda);
    return 0;
}

/* Return the string at key of obj, or NULL when it is missing or null. */
static const char *json_text(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Return the container path of a device entry: "/dev/nvidia1" of
 * "<host path>:/dev/nvidia1". */
static const char *container_path(const char *device)
{
    const char *colon = strchr(device, ':');

    return colon ? colon + 1 : device;
}

/* Return true when the GPU whose info Path is path is among devices. */
static bool is_chosen(const char *path, char *const *devices, size_t device_count)
{
    for (size_t i = 0; path && i < device_count; i++)
        if (strcmp(container_path(devices[i]), path) == 0)
            return true;
    return false;
}

/*
 * Describe the values that the conditions of keys compared, for a message:
 * "the driver supports CUDA 8.0", "GPU 1 (Tesla K80) has compute
 * capability 3.7". gpu is the GPU's info object, or NULL.
 */
static char *describe_facts(unsigned keys, const struct nvd_require_facts *facts,
                            long index, json_t *gpu)
{
    struct nvd_buf b = { 0 };
    const char *model = json_text(gpu, "Model");
    cleanup_free char *name = model ? nvd_xasprintf("GPU %ld (%s)", index, model)
                                    : nvd_xasprintf("GPU %ld", index);

    nvd_buf_puts(&b, "");
    if ((keys & NVD_REQUIRE_CUDA) && facts->cuda)
        nvd_buf_printf(&b, "%sthe driver supports CUDA %s", b.len ? ", " : "", facts->cuda);
    if ((keys & NVD_REQUIRE_DRIVER) && facts->driver)
        nvd_buf_printf(&b, "%sthe driver is version %s", b.len ? ", " : "", facts->driver);
    if ((keys & NVD_REQUIRE_ARCH) && facts->arch)
        nvd_buf_printf(&b, "%s%s has compute capability %s", b.len ? ", " : "", name,
                       facts->arch);
    if ((keys & NVD_REQUIRE_BRAND) && facts->brand)
        nvd_buf_printf(&b, "%s%s is of brand %s", b.len ? ", " : "", name, facts->brand);
    return nvd_buf_steal(&b);
}

/* Check every requirement of req against facts (GPU index and info object
 * gpu, or -1 and NULL when no GPU is chosen). */
static int check_facts(const struct gpu_request *req, const struct nvd_require_facts *facts,
                       long index, json_t *gpu, nvd_error **err)
{
    for (size_t i = 0; i < req->requirement_count; i++) {
        const struct image_requirement *r = &req->requirements[i];
        static const struct nvd_require_facts unknown = { 0 };
        unsigned keys = 0;
        cleanup_error nvd_error *cause = NULL;

        /* With every fact unknown, only a malformed expression fails. */
        if (nvd_require_eval(r->expr, &unknown, NULL, &cause) < 0) {
            cleanup_free char *name = nvd_quote_str(r->name);
            return nvd_error_set(err, cause->kind,
                                 "%s, in %s: correct it with -e %s=..., or add -e "
                                 "NVIDIA_DISABLE_REQUIRE=true to skip the checks",
                                 cause->msg, name, name);
        }
        int met = nvd_require_eval(r->expr, facts, &keys, err);
        if (met < 0)
            return nvd_error_wrap(err, "cannot check %s against the nvidia-docker plugin's "
                                  "/gpu/info/json", r->name);
        if (met)
            continue;

        cleanup_free char *values = describe_facts(keys, facts, index, gpu);
        const char *hint = (keys & NVD_REQUIRE_CUDA)
                               ? "upgrade the driver or use an image made for an older CUDA, "
                                 "or add -e NVIDIA_DISABLE_REQUIRE=true to skip the check"
                               : "add -e NVIDIA_DISABLE_REQUIRE=true to skip the check";
        cleanup_free char *expr = nvd_quote_str(r->expr);
        cleanup_free char *name = nvd_quote_str(r->name);
        return nvd_error_set(err, NVD_ERR_UNSUPPORTED,
                             "requirement \"%s\" of %s is not met: %s; %s", expr, name,
                             values, hint);
    }
    return 0;
}

int image_check_requirements(const struct gpu_request *req, json_t *info,
                             char *const *devices, size_t device_count, nvd_error **err)
{
    json_t *version = json_object_get(info, "Version");
    json_t *gpus = json_object_get(info, "Devices");
    struct nvd_require_facts facts = {
        .cuda = json_text(version, "CUDA"),
        .driver = json_text(version, "Driver"),
    };
    bool any_chosen = false;
    size_t i;
    json_t *gpu;

    if (req->cuda_version) {
        if (!facts.cuda) {
            nvd_error_set(err, NVD_ERR_INVALID, "it has no Version.CUDA string");
            return plugin_client_bad_reply("/gpu/info/json", err);
        }
        if (image_check_cuda(facts.cuda, req->cuda_version, err) < 0)
            return -1;
    }
    if (req->requirement_count == 0)
        return 0;
    json_array_foreach(gpus, i, gpu) {
        if (!is_chosen(json_text(gpu, "Path"), devices, device_count))
            continue;
        any_chosen = true;
        facts.arch = json_text(gpu, "Arch");
        facts.brand = json_text(gpu, "Brand");
        if (check_facts(req, &facts, (long)i, gpu, err) < 0)
            return -1;
    }
    if (any_chosen)
        return 0;
    facts.arch = NULL;
    facts.brand = NULL;
    return check_facts(req, &facts, -1, NULL, err);
}

void image_explain_selection_error(const struct gpu_request *req, const char *gpus_value,
                                   json_t *info, nvd_error **err)
{
    static const char prefix[] = "invalid device: ";
    struct nvd_buf valid = { 0 };
    size_t i;
    json_t *gpu;

    /* A remote plugin's message comes after the address that sent it. */
    if (!*err || !strstr((*err)->msg, prefix))
        return;
    nvd_buf_puts(&valid, "");
    json_array_foreach(json_object_get(info, "Devices"), i, gpu) {
        const char *uuid = json_text(gpu, "UUID");
        if (uuid)
            nvd_buf_printf(&valid, "%zu (%s), ", i, uuid);
        else
            nvd_buf_printf(&valid, "%zu, ", i);
    }

    cleanup_free char *list = nvd_buf_steal(&valid);
    cleanup_free char *shown = nvd_quote_str(req->source == GPU_SOURCE_GPUS_FLAG ? gpus_value
                                                                             : req->selection);
    cleanup_free char *where = req->source == GPU_SOURCE_GPUS_FLAG
                                   ? nvd_xasprintf("--gpus %s", shown)
                                   : nvd_xasprintf("%s=%s", gpu_source_name(req->source), shown);
    nvd_error *explained = NULL;
    nvd_error_set(&explained, NVD_ERR_INVALID, "%s: %s; valid devices are %sall, none and void",
                  where, (*err)->msg, list);
    nvd_error_free(*err);
    *err = explained;
}
