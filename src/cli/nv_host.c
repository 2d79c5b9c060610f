/*
 * nv_host.c: the NV_HOST grammar of nv_host.h. A value is split into
 * scheme, user, host and ports in that order; each part is checked against
 * a small character set, so that nothing parsed here can reach ssh's
 * command line as an option.
 */
#include <string.h>
#include <strings.h>

#include "nv_host.h"
#include "quote.h"
#include "util.h"

#define NV_HOST_EXAMPLES "for example 10.0.0.1:, http://10.0.0.1:3476 or ssh://user@gpu-host:"

/* Fail with "invalid <what> <value>: <why>" and the forms expected. */
static int invalid(nvd_error **err, const char *what, const char *value, const char *why)
{
    cleanup_free char *shown = nvd_quote_str(value);

    return nvd_error_set(err, NVD_ERR_INVALID, "invalid %s \"%s\": %s; write "
                         "[http://|ssh://][user@]host:[port], " NV_HOST_EXAMPLES,
                         what, shown, why);
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Return true when s[0..len) has only alphanumerics and chars of extra,
 * and starts with neither '-' nor '.' (never an option to ssh). */
static bool is_word(const char *s, size_t len, const char *extra)
{
    if (len == 0 || s[0] == '-' || s[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_alnum(s[i]) && !strchr(extra, s[i]))
            return false;
    }
    return true;
}

/* Copy a port number s[0..len) into *port, checking 1..65535. */
static bool take_port(const char *s, size_t len, char **port)
{
    unsigned value = 0;

    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        value = value * 10 + (unsigned)(s[i] - '0');
    }
    if (value == 0 || value > 65535)
        return false;
    *port = nvd_xasprintf("%u", value);
    return true;
}

/* The parts of an authority "[user@]host<ports>" before the ports are
 * interpreted. */
struct authority {
    char *user;
    char *host;
    const char *ports;   /* "", ":", ":80", ":22:80", ... within the value */
};

/*
 * Split the authority auth[0..len) into a. The host is a name, an IPv4
 * address or a bracketed IPv6 address, and may be empty.
 */
static int split_authority(const char *what, const char *value, const char *auth, size_t len,
                           struct authority *a, nvd_error **err)
{
    const char *at = memrchr(auth, '@', len);
    const char *p = auth;
    const char *end = auth + len;

    memset(a, 0, sizeof(*a));
    if (at) {
        size_t user_len = (size_t)(at - auth);
        if (memchr(auth, ':', user_len))
            return invalid(err, what, value, "a password does not belong in it, ssh asks for one");
        if (!is_word(auth, user_len, "._-"))
            return invalid(err, what, value, "the user name is not valid");
        a->user = nvd_xasprintf("%.*s", (int)user_len, auth);
        p = at + 1;
    }

    size_t host_len;
    if (p < end && *p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        const char *addr = p + 1;
        host_len = close ? (size_t)(close - addr) : 0;
        if (host_len == 0 || strspn(addr, "0123456789abcdefABCDEF:.") < host_len) {
            free(a->user);
            a->user = NULL;
            return invalid(err, what, value, "an IPv6 address in [] is not valid");
        }
        a->host = nvd_xasprintf("%.*s", (int)host_len, addr);
        a->ports = close + 1;
    } else {
        host_len = strcspn(p, ":");
        if (p + host_len > end)
            host_len = (size_t)(end - p);
        if (host_len > 0 && !is_word(p, host_len, "._-")) {
            free(a->user);
            a->user = NULL;
            return invalid(err, what, value, "the host name is not valid");
        }
        a->host = host_len > 0 ? nvd_xasprintf("%.*s", (int)host_len, p)
                               : nvd_xstrdup(NV_HOST_DEFAULT_HOST);
        a->ports = p + host_len;
    }
    if (a->ports != end && *a->ports != ':') {
        free(a->user);
        free(a->host);
        memset(a, 0, sizeof(*a));
        return invalid(err, what, value, "a port must follow the host after ':'");
    }
    return 0;
}

/*
 * Split value into its scheme (lower-cased into scheme[], "tcp" when there
 * is none) and the authority after it, checking that nothing but an
 * optional "/" follows the authority.
 */
static int split_scheme(const char *what, const char *value, char *scheme, size_t size,
                        const char **auth, size_t *auth_len, nvd_error **err)
{
    const char *sep = strstr(value, "://");
    size_t scheme_len = sep ? (size_t)(sep - value) : 0;

    if (sep) {
        if (scheme_len == 0 || scheme_len >= size || !is_word(value, scheme_len, "+.-"))
            return invalid(err, what, value, "the scheme is not valid");
        for (size_t i = 0; i < scheme_len; i++)
            scheme[i] = (char)(value[i] >= 'A' && value[i] <= 'Z' ? value[i] + 32 : value[i]);
        scheme[scheme_len] = '\0';
        *auth = sep + 3;
    } else {
        strcpy(scheme, "tcp");
        *auth = value;
    }

    *auth_len = strcspn(*auth, "/?#");
    const char *rest = *auth + *auth_len;
    bool has_authority = strcmp(scheme, "tcp") == 0 || strcmp(scheme, "http") == 0 ||
                         strcmp(scheme, "https") == 0 || strcmp(scheme, "ssh") == 0;
    if (has_authority && rest[0] != '\0' && strcmp(rest, "/") != 0)
        return invalid(err, what, value, "nothing but \"/\" may follow the host and port");
    return 0;
}

/* Set out->kind from a scheme of NV_HOST or of a docker host. */
static int kind_of_scheme(const char *what, const char *value, const char *scheme,
                          struct nv_host *out, nvd_error **err)
{
    if (strcmp(scheme, "unix") == 0)
        out->kind = NV_HOST_LOCAL;
    else if (strcmp(scheme, "tcp") == 0 || strcmp(scheme, "http") == 0)
        out->kind = NV_HOST_HTTP;
    else if (strcmp(scheme, "ssh") == 0)
        out->kind = NV_HOST_SSH;
    else if (strcmp(scheme, "https") == 0)
        return invalid(err, what, value,
                       "nvidia-docker-plugin serves plain HTTP only; use ssh:// for an "
                       "encrypted connection");
    else
        return invalid(err, what, value, "the scheme must be http://, tcp://, ssh:// or unix://");
    return 0;
}

/*
 * Split value (NV_HOST, or a docker host when docker) into out's kind,
 * user and host, and set *ports and *end to the ports part left to read.
 * Returns 1 for local mode, 0 to go on with the ports, -1 on bad input.
 */
static int split_value(const char *what, const char *value, bool docker, struct nv_host *out,
                       const char **ports, const char **end, nvd_error **err)
{
    char scheme[16];
    const char *auth = value;
    size_t auth_len = 0;
    struct authority a;

    memset(out, 0, sizeof(*out));
    if (split_scheme(what, value, scheme, sizeof(scheme), &auth, &auth_len, err) < 0)
        return -1;
    /* The engine's own TLS has nothing to do with the plugin's plain HTTP. */
    if (docker && strcmp(scheme, "https") == 0)
        strcpy(scheme, "tcp");
    if (kind_of_scheme(what, value, scheme, out, err) < 0)
        return -1;
    if (out->kind == NV_HOST_LOCAL)
        return 1;
    if (split_authority(what, value, auth, auth_len, &a, err) < 0)
        return -1;
    out->user = a.user;
    out->host = a.host;
    *ports = a.ports;
    *end = auth + auth_len;
    return 0;
}

int nv_host_parse(const char *value, struct nv_host *out, nvd_error **err)
{
    const char *ports;
    const char *end;

    memset(out, 0, sizeof(*out));
    if (!value || value[0] == '\0')
        return 0;
    int rc = split_value("NV_HOST", value, false, out, &ports, &end, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;

    /* The ports: "" or ":" (defaults), ":P" (http), ":S:" or ":S:P". */
    size_t ports_len = (size_t)(end - ports);
    const char *second = ports_len > 1 ? memchr(ports + 1, ':', ports_len - 1) : NULL;
    const char *http = second ? second + 1 : ports + (ports_len > 0);
    size_t http_len = (size_t)(end - http);
    const char *why = NULL;

    if (out->kind == NV_HOST_HTTP && out->user)
        why = "a user name is for ssh:// only";
    else if (second && out->kind == NV_HOST_HTTP)
        why = "two ports (ssh, then http) are for ssh:// only";
    else if (second && memchr(second + 1, ':', http_len))
        why = "it has more than two ports";
    else if (second && !take_port(ports + 1, (size_t)(second - ports - 1), &out->ssh_port))
        why = "the ssh port is not a number from 1 to 65535";
    else if (http_len > 0 && !take_port(http, http_len, &out->http_port))
        why = "the http port is not a number from 1 to 65535";
    if (why) {
        nv_host_clear(out);
        return invalid(err, "NV_HOST", value, why);
    }
    if (!out->http_port)
        out->http_port = nvd_xstrdup(NV_HOST_DEFAULT_HTTP_PORT);
    return 0;
}

int nv_host_from_docker_host(const char *docker_host, struct nv_host *out, nvd_error **err)
{
    const char *ports;
    const char *end;
    int rc = split_value("docker host", docker_host, true, out, &ports, &end, err);

    if (rc != 0)
        return rc < 0 ? -1 : 0;

    /* The port is the engine's (tcp) or ssh's: docker's grammar, not 1.0's. */
    const char *port = ports[0] == ':' ? ports + 1 : ports;
    size_t port_len = (size_t)(end - port);
    const char *why = NULL;
    if (out->kind == NV_HOST_HTTP && out->user)
        why = "a user name is for ssh:// only";
    else if (port_len > 0 && !take_port(port, port_len, &out->ssh_port))
        why = "the port is not a number from 1 to 65535";
    if (why) {
        nv_host_clear(out);
        return invalid(err, "docker host", docker_host, why);
    }
    if (out->kind == NV_HOST_HTTP) {
        free(out->ssh_port);
        out->ssh_port = NULL;
    }
    out->http_port = nvd_xstrdup(NV_HOST_DEFAULT_HTTP_PORT);
    return 0;
}

char *nv_host_describe(const struct nv_host *h)
{
    bool v6 = h->host && strchr(h->host, ':');
    const char *open = v6 ? "[" : "";
    const char *close = v6 ? "]" : "";

    switch (h->kind) {
    case NV_HOST_HTTP:
        return nvd_xasprintf("%s%s%s:%s", open, h->host, close, h->http_port);
    case NV_HOST_SSH:
        return nvd_xasprintf("ssh://%s%s%s%s%s%s%s (localhost:%s there)",
                             h->user ? h->user : "", h->user ? "@" : "", open, h->host, close,
                             h->ssh_port ? ":" : "", h->ssh_port ? h->ssh_port : "",
                             h->http_port);
    case NV_HOST_LOCAL:
        break;
    }
    return nvd_xstrdup(NV_HOST_DEFAULT_HOST ":" NV_HOST_DEFAULT_HTTP_PORT);
}

bool nv_host_is_loopback(const struct nv_host *h)
{
    if (h->kind == NV_HOST_LOCAL)
        return true;
    return strcasecmp(h->host, "localhost") == 0 || strcmp(h->host, "::1") == 0 ||
           strncmp(h->host, "127.", 4) == 0;
}

void nv_host_clear(struct nv_host *h)
{
    free(h->user);
    free(h->host);
    free(h->ssh_port);
    free(h->http_port);
    memset(h, 0, sizeof(*h));
}
