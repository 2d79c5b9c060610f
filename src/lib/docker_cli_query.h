/*
 * docker_cli_query.h: the reply to a /docker/cli request, shared by the
 * plugin's REST API and nvidia-docker's in-process discovery, so that both
 * return the same bytes for the same dev= and vol=.
 */
#ifndef NVD_DOCKER_CLI_QUERY_H
#define NVD_DOCKER_CLI_QUERY_H

#include "nvd.h"

/*
 * Render the docker arguments for the decoded dev= and vol= values (NULL
 * when absent) on host with render (text or JSON), as 1.0 did: dev= uses
 * the selection grammar with 1.0's single-space separators, and every
 * piece of vol= gives one --volume. Returns a new string, or NULL with
 * *err set: NVD_ERR_INVALID for bad input, another kind for a failure.
 */
char *nvd_docker_cli_query(const struct nvd_host *host, const char *dev, const char *vol,
                           char *(*render)(const struct nvd_docker_args *), nvd_error **err);

#endif /* NVD_DOCKER_CLI_QUERY_H */
