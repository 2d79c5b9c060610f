/*
 * ssh_tunnel.h: a byte stream to a TCP port on another host through the
 * OpenSSH client: "ssh -W localhost:<port> host" forwards its stdin and
 * stdout to that port, so the user's ssh config, agent, keys and known
 * hosts apply, and ssh prompts for a password or a host key confirmation
 * on the terminal as it always does.
 */
#ifndef NVD_CLI_SSH_TUNNEL_H
#define NVD_CLI_SSH_TUNNEL_H

#include <stdbool.h>
#include <sys/types.h>

#include "nv_host.h"
#include "nvd.h"

struct ssh_tunnel {
    pid_t pid;     /* the ssh process, or -1 */
    int fd;        /* our end of ssh's stdin and stdout, non-blocking; or -1 */
    int err_fd;    /* the read end of ssh's stderr, or -1 */
};

#define SSH_TUNNEL_INIT { .pid = -1, .fd = -1, .err_fd = -1 }

/*
 * Start the ssh of PATH with "-W localhost:<h->http_port>" to h's host, as
 * h's user and on h's ssh port when h names them. Success means ssh runs;
 * whether it connects shows when the stream is used.
 */
int ssh_tunnel_open(const struct nv_host *h, struct ssh_tunnel *t, nvd_error **err);

/*
 * Close the stream and end ssh: at once, or when wait_for_exit, after up to
 * two seconds for it to exit by itself and report why. Returns the end of
 * ssh's stderr as one line (its last two lines that are not notes, "; "
 * between them), a new string that may be empty.
 */
char *ssh_tunnel_close(struct ssh_tunnel *t, bool wait_for_exit);

/* Return true when ssh can ask on a terminal (this process has one), so
 * that a request through it may wait for a typed password. */
bool ssh_tunnel_interactive(void);

/* Return the ssh command line that checks h by hand, as a new string:
 * "ssh -p 2222 -l root 127.0.0.1 true". */
char *ssh_tunnel_check_command(const struct nv_host *h);

#endif /* NVD_CLI_SSH_TUNNEL_H */
