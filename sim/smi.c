/*
 * smi.c: a test double of nvidia-smi. It is linked against libnvidia-ml.so.1
 * (the NVML double, found through the loader's search path) and prints the
 * GPUs that NVML reports:
 *
 *   nvidia-smi        a short summary: versions, then one line per GPU
 *   nvidia-smi -L     "GPU <i>: <name> (UUID: <uuid>)" per GPU, and under a
 *                     GPU in MIG mode "  MIG <profile>     Device <m>: (UUID: <uuid>)"
 *                     per MIG device, spaced as published nvidia-smi -L outputs show
 *
 * Exit status: 0, 2 for a bad command line, 6 when there is no GPU, and
 * otherwise the NVML error code (9 when the driver is not loaded), capped
 * at 255, as nvidia-smi's exit statuses follow NVML's codes.
 */
#include <stdio.h>
#include <string.h>

#include "nvml_abi.h"

/*
 * MIG entry points are weak, so that this double still starts with an NVML
 * double whose profile removed them, as an older driver lacks them.
 */
#pragma weak nvmlDeviceGetMigMode
#pragma weak nvmlDeviceGetMaxMigDeviceCount
#pragma weak nvmlDeviceGetMigDeviceHandleByIndex
#pragma weak nvmlDeviceGetAttributes_v2

static const char usage_text[] =
    "Usage: nvidia-smi [-L | --list-gpus] [-h | --help]\n"
    "  (no option)       print the driver and CUDA versions and one line per GPU\n"
    "  -L, --list-gpus   print one line per GPU: index, name and UUID\n"
    "  -h, --help        print this help\n"
    "This is the nvd-sim test double of nvidia-smi.\n";

/* Return the exit status that stands for an NVML error. */
static int exit_status(nvmlReturn_t result)
{
    return result > 0 && result < 255 ? (int)result : 255;
}

/* Print the NVML function that failed with its message, and return the exit status. */
static int fail(const char *function, nvmlReturn_t result)
{
    fprintf(stderr, "NVIDIA-SMI has failed because %s returned: %s\n", function,
            nvmlErrorString(result));
    return exit_status(result);
}

/* One GPU's values as the listings print them. */
struct gpu_line {
    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
    char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
    char bus_id[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
};

/*
 * Read GPU `index` into line. A name that NVML does not support reads "N/A".
 * On an error, *failed_call names the NVML function that failed.
 */
static nvmlReturn_t read_gpu(unsigned index, struct gpu_line *line, const char **failed_call)
{
    nvmlDevice_t device;
    nvmlPciInfo_t pci;
    nvmlReturn_t result;

    *failed_call = "nvmlDeviceGetHandleByIndex";
    if ((result = nvmlDeviceGetHandleByIndex_v2(index, &device)) != NVML_SUCCESS)
        return result;

    *failed_call = "nvmlDeviceGetName";
    result = nvmlDeviceGetName(device, line->name, sizeof(line->name));
    if (result == NVML_ERROR_NOT_SUPPORTED)
        strcpy(line->name, "N/A");
    else if (result != NVML_SUCCESS)
        return result;

    *failed_call = "nvmlDeviceGetUUID";
    if ((result = nvmlDeviceGetUUID(device, line->uuid, sizeof(line->uuid))) != NVML_SUCCESS)
        return result;

    *failed_call = "nvmlDeviceGetPciInfo";
    if ((result = nvmlDeviceGetPciInfo_v3(device, &pci)) != NVML_SUCCESS)
        return result;
    memcpy(line->bus_id, pci.busId, sizeof(line->bus_id));
    return NVML_SUCCESS;
}

/* Print the summary header: nvidia-smi's and the driver's version, CUDA's. */
static int print_versions(void)
{
    char driver[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
    char cuda[32] = "N/A";
    int cuda_version;
    nvmlReturn_t result;

    if ((result = nvmlSystemGetDriverVersion(driver, sizeof(driver))) != NVML_SUCCESS)
        return fail("nvmlSystemGetDriverVersion", result);
    result = nvmlSystemGetCudaDriverVersion(&cuda_version);
    if (result == NVML_SUCCESS)
        snprintf(cuda, sizeof(cuda), "%d.%d", cuda_version / 1000, cuda_version % 1000 / 10);
    else if (result != NVML_ERROR_NOT_SUPPORTED)
        return fail("nvmlSystemGetCudaDriverVersion", result);

    printf("NVIDIA-SMI %s    Driver Version: %s    CUDA Version: %s\n", driver, driver, cuda);
    return 0;
}

/*
 * Write the MIG profile name that nvidia-smi shows for attributes:
 * "<g>g.<gb>gb", with "<c>c." in front when the compute instance has fewer
 * slices than its GPU instance. The memory is rounded up to whole GiB.
 */
static void format_mig_profile(const nvmlDeviceAttributes_t *attributes, char *out, size_t size)
{
    unsigned long long gb = (attributes->memorySizeMB + 1023) / 1024;

    if (attributes->computeInstanceSliceCount < attributes->gpuInstanceSliceCount)
        snprintf(out, size, "%uc.%ug.%llugb", attributes->computeInstanceSliceCount,
                 attributes->gpuInstanceSliceCount, gb);
    else
        snprintf(out, size, "%ug.%llugb", attributes->gpuInstanceSliceCount, gb);
}

/* Print the MIG devices of a GPU in MIG mode in -L's form; a driver without MIG has none. */
static int print_mig_devices(unsigned gpu_index)
{
    nvmlDevice_t device;
    unsigned current, pending, max_count;
    nvmlReturn_t result;

    if (!nvmlDeviceGetMigMode || !nvmlDeviceGetMaxMigDeviceCount ||
        !nvmlDeviceGetMigDeviceHandleByIndex || !nvmlDeviceGetAttributes_v2)
        return 0;
    if ((result = nvmlDeviceGetHandleByIndex_v2(gpu_index, &device)) != NVML_SUCCESS)
        return fail("nvmlDeviceGetHandleByIndex", result);
    result = nvmlDeviceGetMigMode(device, &current, &pending);
    if (result == NVML_ERROR_NOT_SUPPORTED || (result == NVML_SUCCESS && current != NVML_DEVICE_MIG_ENABLE))
        return 0;
    if (result != NVML_SUCCESS)
        return fail("nvmlDeviceGetMigMode", result);
    if ((result = nvmlDeviceGetMaxMigDeviceCount(device, &max_count)) != NVML_SUCCESS)
        return fail("nvmlDeviceGetMaxMigDeviceCount", result);

    for (unsigned m = 0; m < max_count; m++) {
        nvmlDevice_t mig;
        nvmlDeviceAttributes_t attributes;
        char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
        char profile[64];

        result = nvmlDeviceGetMigDeviceHandleByIndex(device, m, &mig);
        if (result == NVML_ERROR_NOT_FOUND)
            continue;
        if (result != NVML_SUCCESS)
            return fail("nvmlDeviceGetMigDeviceHandleByIndex", result);
        if ((result = nvmlDeviceGetAttributes_v2(mig, &attributes)) != NVML_SUCCESS)
            return fail("nvmlDeviceGetAttributes", result);
        if ((result = nvmlDeviceGetUUID(mig, uuid, sizeof(uuid))) != NVML_SUCCESS)
            return fail("nvmlDeviceGetUUID", result);
        format_mig_profile(&attributes, profile, sizeof(profile));
        printf("  MIG %s     Device %2u: (UUID: %s)\n", profile, m, uuid);
    }
    return 0;
}

/* Print every GPU, as a table row or in -L's form, and return the exit status. */
static int print_gpus(int list_form)
{
    unsigned count;
    nvmlReturn_t result;

    if ((result = nvmlDeviceGetCount_v2(&count)) != NVML_SUCCESS)
        return fail("nvmlDeviceGetCount", result);
    if (count == 0) {
        puts("No devices were found");
        return NVML_ERROR_NOT_FOUND;
    }

    if (!list_form)
        printf("%-4s %-24s %-17s %s\n", "GPU", "Name", "Bus-Id", "UUID");
    for (unsigned i = 0; i < count; i++) {
        struct gpu_line line;
        const char *failed_call;

        if ((result = read_gpu(i, &line, &failed_call)) != NVML_SUCCESS)
            return fail(failed_call, result);
        if (list_form) {
            printf("GPU %u: %s (UUID: %s)\n", i, line.name, line.uuid);
            int status = print_mig_devices(i);
            if (status != 0)
                return status;
        } else
            printf("%3u  %-24s %-17s %s\n", i, line.name, line.bus_id, line.uuid);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int list_form = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-L") == 0 || strcmp(argv[i], "--list-gpus") == 0) {
            list_form = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else {
            fprintf(stderr, "nvidia-smi: invalid option '%s': run 'nvidia-smi -h' for the options\n",
                    argv[i]);
            return 2;
        }
    }

    nvmlReturn_t result = nvmlInit_v2();
    if (result != NVML_SUCCESS)
        return fail("nvmlInit", result);

    int status = list_form ? 0 : print_versions();
    if (status == 0)
        status = print_gpus(list_form);
    fflush(stdout);
    nvmlShutdown();
    return status;
}
