/*
 * embedded_profile.c: the profile section of a driver double and the device
 * node checks that both doubles make. Compiled into each double.
 */
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embedded_profile.h"

/*
 * The blob that nvd-sim overwrites in the copied file. It is initialised
 * (magic, format, size) so that it lands in the file, not in .bss, and is
 * never written at run time.
 */
__attribute__((section(SIM_BLOB_SECTION), used))
static struct sim_blob embedded_blob = {
    .magic = SIM_BLOB_MAGIC,
    .format = SIM_BLOB_FORMAT,
    .size = sizeof(struct sim_blob),
};

const struct sim_blob *sim_embedded_profile(void)
{
    const struct sim_blob *blob = &embedded_blob;

    /* Hide the initialiser from the optimiser: the bytes in the file differ. */
    __asm__("" : "+r"(blob));
    return blob;
}

/* The path of the loaded object that contains `address`, for dl_iterate_phdr. */
struct object_search {
    const void *address;
    const char *path;
};

/* Record the object's name if one of its loaded segments contains the address. */
static int match_object(struct dl_phdr_info *info, size_t size, void *data)
{
    struct object_search *search = data;
    uintptr_t address = (uintptr_t)search->address;

    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;

        if (ph->p_type == PT_LOAD && address >= start && address - start < ph->p_memsz) {
            search->path = info->dlpi_name;
            return 1;
        }
    }
    return 0;
}

/* Return whether path names an existing file. It is checked with stat and never opened. */
static int node_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

int sim_find_dev_dir(char *out, size_t size)
{
    const char *env = getenv(SIM_DEV_DIR_ENV);
    if (env && env[0]) {
        if (strlen(env) >= size)
            return -1;
        strcpy(out, env);
        return 0;
    }

    /*
     * dl_iterate_phdr, not dladdr: it is in every glibc's libc.so.6, so the
     * double needs no libdl and no newer symbol version.
     */
    struct object_search search = { .address = &embedded_blob, .path = NULL };
    if (dl_iterate_phdr(match_object, &search) == 0 || !search.path || !search.path[0])
        return -1;

    /* The loader keeps the path as it was found, so make a relative one absolute. */
    char dir[4096];
    if (search.path[0] == '/') {
        if (strlen(search.path) >= sizeof(dir))
            return -1;
        strcpy(dir, search.path);
    } else {
        char cwd[2048];
        if (!getcwd(cwd, sizeof(cwd)))
            return -1;
        int n = snprintf(dir, sizeof(dir), "%s/%s", cwd, search.path);
        if (n < 0 || (size_t)n >= sizeof(dir))
            return -1;
    }

    /* Walk up from the double's directory to "/", stopping at the first match. */
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            return -1;
        *slash = '\0';

        char candidate[4096 + 16];
        snprintf(candidate, sizeof(candidate), "%s/dev/nvidiactl", dir);
        if (node_exists(candidate)) {
            int n = snprintf(out, size, "%s/dev", dir);
            return n < 0 || (size_t)n >= size ? -1 : 0;
        }
        if (dir[0] == '\0')
            return -1;
    }
}

unsigned sim_list_visible_gpus(const struct sim_blob *blob, const char *dev_dir,
                               uint32_t *visible)
{
    unsigned count = 0;
    uint32_t gpu_count = blob->gpu_count <= SIM_MAX_GPUS ? blob->gpu_count : SIM_MAX_GPUS;

    for (uint32_t i = 0; i < gpu_count; i++) {
        char path[4096 + 32];

        snprintf(path, sizeof(path), "%s/nvidia%u", dev_dir, (unsigned)blob->gpus[i].minor);
        if (node_exists(path))
            visible[count++] = i;
    }
    return count;
}

unsigned sim_list_visible_migs(const struct sim_gpu *gpu, const char *dev_dir, uint32_t *visible)
{
    unsigned count = 0;

    if (gpu->mig_mode != SIM_MIG_ENABLED)
        return 0;
    for (uint32_t i = 0; i < gpu->mig_device_count && i < SIM_MAX_MIG_DEVICES; i++) {
        const struct sim_mig_device *mig = &gpu->mig_devices[i];
        char gi_path[4096 + 48], ci_path[4096 + 48];

        snprintf(gi_path, sizeof(gi_path), "%s/nvidia-caps/nvidia-cap%u", dev_dir,
                 (unsigned)sim_mig_gi_cap_minor(gpu->minor, mig->gpu_instance_id));
        snprintf(ci_path, sizeof(ci_path), "%s/nvidia-caps/nvidia-cap%u", dev_dir,
                 (unsigned)sim_mig_ci_cap_minor(gpu->minor, mig->gpu_instance_id,
                                                mig->compute_instance_id));
        if (node_exists(gi_path) && node_exists(ci_path))
            visible[count++] = i;
    }
    return count;
}
