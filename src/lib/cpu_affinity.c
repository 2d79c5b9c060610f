/* cpu_affinity.c: a GPU's NUMA node from the host's sysfs. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_affinity.h"
#include "util.h"

int nvd_cpu_affinity_read(const char *sysfs_root, const char *busid, long long *node,
                          nvd_error **err)
{
    cleanup_free char *path = nvd_xasprintf("%s/bus/pci/devices/%s/numa_node", sysfs_root, busid);
    char text[32];

    /* sysfs names the device in lower case: "0000:0a:00.0". */
    for (char *p = path + strlen(path) - strlen(busid) - strlen("/numa_node"); *p; p++)
        *p = (char)tolower((unsigned char)*p);

    cleanup_file FILE *file = fopen(path, "re");
    if (!file) {
        if (errno == ENOENT || errno == ENOTDIR) {
            *node = 0;
            return 0;
        }
        return nvd_error_sys(err, errno, "failed to retrieve CPU affinity: cannot open %s", path);
    }
    if (!fgets(text, sizeof(text), file))
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "failed to retrieve CPU affinity: %s is empty", path);

    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    while (*end == '\n' || *end == ' ')
        end++;
    if (end == text || *end != '\0' || errno != 0 || value < -1)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "failed to retrieve CPU affinity: %s holds '%.*s', not a NUMA node number",
                             path, (int)strcspn(text, "\n"), text);
    *node = value < 0 ? 0 : value;
    return 0;
}
