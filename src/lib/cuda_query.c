/*
 * cuda_query.c: runs the CUDA driver API in a child process (see
 * cuda_query.h for why) and reads back what it reported. The child writes
 * a fixed-size record to a pipe: a header, one struct nvd_cuda_device per
 * GPU, then the peer matrix. Parent and child are the same program, so the
 * structs need no encoding.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cuda_abi.h"
#include "cuda_query.h"
#include "ldcache.h"
#include "loader_lock.h"
#include "util.h"

#define CUDA_SONAME "libcuda.so.1"

/* The resolved entry points; cuGetErrorString is NULL in drivers before CUDA 6.0. */
struct cuda_api {
#define NVD_CUDA_POINTER(name, ret, params) ret (*name) params;
    NVD_CUDA_FUNCTIONS(NVD_CUDA_POINTER)
#undef NVD_CUDA_POINTER
};

/* One entry point: its name and where its pointer goes in struct cuda_api. */
struct cuda_symbol {
    const char *name;
    size_t offset;
};

static const struct cuda_symbol cuda_symbols[] = {
#define NVD_CUDA_SYMBOL(name, ret, params) { #name, offsetof(struct cuda_api, name) },
    NVD_CUDA_FUNCTIONS(NVD_CUDA_SYMBOL)
#undef NVD_CUDA_SYMBOL
};

/* The CUDA attribute behind each enum nvd_cuda_attribute. */
static const CUdevice_attribute attribute_ids[NVD_CUDA_ATTRIBUTE_COUNT] = {
    [NVD_CUDA_COMPUTE_MAJOR] = CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
    [NVD_CUDA_COMPUTE_MINOR] = CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
    [NVD_CUDA_MULTIPROCESSORS] = CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
    [NVD_CUDA_ECC_ENABLED] = CU_DEVICE_ATTRIBUTE_ECC_ENABLED,
    [NVD_CUDA_SHARED_MEMORY_PER_SM_BYTES] = CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR,
    [NVD_CUDA_CONSTANT_MEMORY_BYTES] = CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY,
    [NVD_CUDA_L2_CACHE_BYTES] = CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE,
    [NVD_CUDA_MEMORY_CLOCK_KHZ] = CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE,
    [NVD_CUDA_MEMORY_BUS_WIDTH_BITS] = CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH,
};

/* The first part of the child's record. */
struct child_header {
    int loaded;                  /* 1 when libcuda was loaded and the devices follow */
    int driver_version;
    char error[256];             /* why libcuda could not be loaded, or why cuInit failed */
};

/* Write len bytes of buf to fd. Errors are ignored because the parent then reads a short record. */
static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

/* Describe a CUresult, with CUDA's own text when the driver has cuGetErrorString. */
static void describe_result(const struct cuda_api *api, CUresult result, char *buf, size_t size)
{
    const char *text = NULL;

    if (api->cuGetErrorString && api->cuGetErrorString(result, &text) != CUDA_SUCCESS)
        text = NULL;
    if (text)
        snprintf(buf, size, "%s (CUDA error %d)", text, (int)result);
    else
        snprintf(buf, size, "CUDA error %d", (int)result);
}

/* Load libcuda at path into api, or describe the failure in header->error. */
static int load_cuda(const char *path, struct cuda_api *api, struct child_header *header)
{
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);

    if (!handle) {
        snprintf(header->error, sizeof(header->error), "cannot load %s: %s", path, dlerror());
        return -1;
    }
    for (size_t i = 0; i < sizeof(cuda_symbols) / sizeof(cuda_symbols[0]); i++) {
        void *symbol = dlsym(handle, cuda_symbols[i].name);

        if (!symbol && strcmp(cuda_symbols[i].name, "cuGetErrorString") != 0) {
            snprintf(header->error, sizeof(header->error),
                     "%s lacks the CUDA entry point %s: the driver is too old for nvd", path,
                     cuda_symbols[i].name);
            return -1;
        }
        /* The object-to-function pointer conversion that dlsym requires. */
        memcpy((char *)api + cuda_symbols[i].offset, &symbol, sizeof(symbol));
    }
    return 0;
}

/* Read the attributes and memory of the GPU at busid into device; return its ordinal or -1. */
static CUdevice query_device(const struct cuda_api *api, const char *busid,
                             struct nvd_cuda_device *device)
{
    CUdevice ordinal;
    CUresult result = api->cuDeviceGetByPCIBusId(&ordinal, busid);
    char text[128];

    if (result != CUDA_SUCCESS) {
        describe_result(api, result, text, sizeof(text));
        snprintf(device->error, sizeof(device->error), "cuDeviceGetByPCIBusId(%s) failed: %s",
                 busid, text);
        return -1;
    }
    for (int a = 0; a < NVD_CUDA_ATTRIBUTE_COUNT; a++) {
        int value;
        if (api->cuDeviceGetAttribute(&value, attribute_ids[a], ordinal) == CUDA_SUCCESS)
            device->attributes[a] = value;
    }
    size_t bytes;
    if (api->cuDeviceTotalMem_v2(&bytes, ordinal) == CUDA_SUCCESS)
        device->total_memory_bytes = (long long)bytes;
    return ordinal;
}

/*
 * The child's work: set CUDA's environment as 1.0 did, load libcuda, query
 * every GPU and every pair, write the record to fd. Only the child runs it,
 * and it never returns.
 */
__attribute__((noreturn))
static void run_child(pid_t parent, const char *path, const char *const *busids,
                      struct nvd_cuda_report *report, int fd)
{
    /* Signals that a daemon may handle; the child keeps none of its handlers. */
    static const int handled_signals[] = {
        SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGCHLD,
    };
    struct child_header header = { 0 };
    struct cuda_api api = { 0 };
    sigset_t none;

    /* Die with the parent, and take no signal mask over from the thread that forked. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    for (size_t i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++)
        signal(handled_signals[i], SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    setenv("CUDA_DISABLE_UNIFIED_MEMORY", "1", 1);
    setenv("CUDA_CACHE_DISABLE", "1", 1);
    unsetenv("CUDA_VISIBLE_DEVICES");

    if (load_cuda(path, &api, &header) == 0) {
        header.loaded = 1;
        if (api.cuDriverGetVersion(&header.driver_version) != CUDA_SUCCESS)
            header.driver_version = 0;

        CUresult result = api.cuInit(0);
        if (result != CUDA_SUCCESS) {
            char text[128];
            describe_result(&api, result, text, sizeof(text));
            snprintf(header.error, sizeof(header.error), "cuInit failed: %s", text);
        } else {
            size_t count = report->count;
            CUdevice *ordinals = nvd_xcalloc(count ? count : 1, sizeof(*ordinals));

            for (size_t i = 0; i < count; i++)
                ordinals[i] = query_device(&api, busids[i], &report->devices[i]);
            for (size_t i = 0; i < count; i++) {
                for (size_t j = i + 1; j < count; j++) {
                    int can_access = 0;
                    if (ordinals[i] < 0 || ordinals[j] < 0 ||
                        api.cuDeviceCanAccessPeer(&can_access, ordinals[i], ordinals[j]) != CUDA_SUCCESS ||
                        !can_access)
                        continue;
                    report->peers[i * count + j] = 1;
                    report->peers[j * count + i] = 1;
                }
            }
        }
    }

    write_all(fd, &header, sizeof(header));
    if (header.loaded) {
        write_all(fd, report->devices, report->count * sizeof(*report->devices));
        write_all(fd, report->peers, report->count * report->count);
    }
    _exit(0);
}

/* Return the current CLOCK_MONOTONIC time in milliseconds. */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Read len bytes from fd into buf before deadline_ms. Return 0, or -1 with
 * errno ETIMEDOUT for the deadline, EPIPE for an early end of data.
 */
static int read_all(int fd, void *buf, size_t len, long long deadline_ms)
{
    char *p = buf;

    while (len > 0) {
        long long left = deadline_ms - now_ms();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        int ready = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return -1;
        if (ready == 0)
            continue;

        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EPIPE;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Wait for the child, killing it first when kill is set and it still
 * runs. Return its wait status, or 0 when it cannot be known: a caller
 * that ignores SIGCHLD has the kernel reap its children (ECHILD).
 */
static int reap_child(pid_t pid, bool kill_first)
{
    int status = 0;
    pid_t result;

    if (kill_first) {
        /* Only a child that has not been reaped is sure to own its pid. */
        do
            result = waitpid(pid, &status, WNOHANG);
        while (result < 0 && errno == EINTR);
        if (result != 0)
            return result == pid ? status : 0;
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 0;
    }
    return status;
}

/* Describe why the child's record is short: a timeout, or how the child ended. */
static int child_error(int read_errno, int status, const char *path, int timeout_ms,
                       nvd_error **err)
{
    if (read_errno == ETIMEDOUT)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "the CUDA query of %s timed out after %d ms and was killed", path,
                             timeout_ms);
    if (WIFSIGNALED(status))
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "the CUDA query of %s was killed by signal %d (%s)", path,
                             WTERMSIG(status), strsignal(WTERMSIG(status)));
    return nvd_error_set(err, NVD_ERR_DRIVER,
                         "the CUDA query of %s ended without a complete report (exit status %d)",
                         path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Read the child's record into report and header; return -1 with errno on a short record. */
static int read_record(int fd, struct nvd_cuda_report *report, struct child_header *header,
                       long long deadline_ms)
{
    if (read_all(fd, header, sizeof(*header), deadline_ms) < 0)
        return -1;
    header->error[sizeof(header->error) - 1] = '\0';
    if (!header->loaded)
        return 0;
    if (read_all(fd, report->devices, report->count * sizeof(*report->devices), deadline_ms) < 0 ||
        read_all(fd, report->peers, report->count * report->count, deadline_ms) < 0)
        return -1;
    for (size_t i = 0; i < report->count; i++)
        report->devices[i].error[sizeof(report->devices[i].error) - 1] = '\0';
    return 0;
}

int nvd_cuda_query(const char *driver_root, const char *const *busids, size_t count,
                   int timeout_ms, struct nvd_cuda_report *report, nvd_error **err)
{
    cleanup_free char *path = NULL;
    struct child_header header = { 0 };
    int fds[2];

    memset(report, 0, sizeof(*report));
    path = nvd_ldcache_find(driver_root, CUDA_SONAME, err);
    if (!path)
        return -1;

    report->count = count;
    report->devices = nvd_xcalloc(count ? count : 1, sizeof(*report->devices));
    report->peers = nvd_xcalloc(count ? count * count : 1, 1);
    for (size_t i = 0; i < count; i++) {
        for (int a = 0; a < NVD_CUDA_ATTRIBUTE_COUNT; a++)
            report->devices[i].attributes[a] = NVD_UNKNOWN;
        report->devices[i].total_memory_bytes = NVD_UNKNOWN;
    }

    if (pipe2(fds, O_CLOEXEC) < 0) {
        nvd_error_sys(err, errno, "cannot create a pipe for the CUDA query");
        goto fail;
    }
    pid_t parent = getpid();
    nvd_loader_lock();
    pid_t pid = fork();
    if (pid != 0)
        nvd_loader_unlock();
    if (pid < 0) {
        nvd_error_sys(err, errno, "cannot start the CUDA query process");
        close(fds[0]);
        close(fds[1]);
        goto fail;
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(parent, path, busids, report, fds[1]);
    }

    close(fds[1]);
    int result = read_record(fds[0], report, &header, now_ms() + timeout_ms);
    int read_errno = errno;
    close(fds[0]);
    int status = reap_child(pid, result < 0);

    if (result < 0) {
        child_error(read_errno, status, path, timeout_ms, err);
        goto fail;
    }
    if (!header.loaded) {
        nvd_error_set(err, NVD_ERR_DRIVER, "%s", header.error);
        goto fail;
    }
    report->driver_version = header.driver_version;
    snprintf(report->error, sizeof(report->error), "%s", header.error);
    return 0;

fail:
    nvd_cuda_report_clear(report);
    return -1;
}

void nvd_cuda_report_clear(struct nvd_cuda_report *report)
{
    free(report->devices);
    free(report->peers);
    memset(report, 0, sizeof(*report));
}
