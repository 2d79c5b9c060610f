/* List the GPUs under a driver root and the docker options that give a
 * container GPU 0. Build: cc list_gpus.c $(pkg-config --cflags --libs nvd) */
#include <stdio.h>
#include <nvd.h>

int main(int argc, char **argv)
{
    nvd_error *err = NULL;
    struct nvd_selection sel = {0};
    struct nvd_docker_args args = {0};
    char option[4096];
    int status = 1;

    struct nvd_host *host = nvd_host_discover(argc > 1 ? argv[1] : "/", NULL, &err);
    if (!host)
        goto out;
    printf("Driver %s, CUDA %s\n", host->driver_version, host->cuda_version);
    for (size_t i = 0; i < host->gpu_count; i++)
        printf("GPU %u: %s (UUID: %s)\n", host->gpus[i].index, host->gpus[i].name,
               host->gpus[i].uuid);

    if (nvd_select(host, "0", ",", false, &sel, &err) != 0 ||
        nvd_docker_args_collect(host, &sel, &args, &err) != 0)
        goto out;
    for (size_t i = 0; i < args.device_count; i++)
        if (nvd_format_device_arg(args.dev_root, args.devices[i], option, sizeof(option)) >= 0)
            printf("%s\n", option);
    for (size_t i = 0; i < args.volume_count; i++)
        printf("--volume=%s:%s:ro\n", args.volumes[i], NVD_MOUNT_POINT);
    status = 0;

out:
    if (err)
        fprintf(stderr, "list_gpus: %s\n", err->msg);
    nvd_error_free(err);
    nvd_docker_args_clear(&args);
    nvd_selection_clear(&sel);
    nvd_host_free(host);
    return status;
}
