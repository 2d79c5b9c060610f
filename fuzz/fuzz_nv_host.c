/*
 * libFuzzer target for the NV_HOST grammar and the plugin host of a docker
 * host (src/cli/nv_host.c): the input is an environment variable's value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nv_host.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless a parsed host could reach ssh's command line safely: no
 * part starts with '-', and every port is a number from 1 to 65535. */
static void check(const struct nv_host *h)
{
    if (h->kind == NV_HOST_LOCAL)
        return;
    if (!h->host || !h->http_port || h->host[0] == '-' || (h->user && h->user[0] == '-'))
        abort();

    const char *ports[] = { h->ssh_port, h->http_port };
    for (size_t i = 0; i < 2; i++) {
        if (ports[i] && (strspn(ports[i], "0123456789") != strlen(ports[i]) ||
                         atoi(ports[i]) < 1 || atoi(ports[i]) > 65535))
            abort();
    }
    free(nv_host_describe(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = nvd_xmalloc(size + 1);
    struct nv_host h;
    nvd_error *err = NULL;

    memcpy(value, data, size);
    value[size] = '\0';

    if (nv_host_parse(value, &h, &err) == 0)
        check(&h);
    else if (!err || !strstr(err->msg, "invalid NV_HOST"))
        abort();
    nv_host_clear(&h);
    nvd_error_free(err);
    err = NULL;

    if (nv_host_from_docker_host(value, &h, &err) == 0)
        check(&h);
    else if (!err)
        abort();
    nv_host_clear(&h);
    nvd_error_free(err);
    free(value);
    return 0;
}
