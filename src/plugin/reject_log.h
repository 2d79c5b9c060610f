/*
 * reject_log.h: log lines about rejected requests and connections, limited
 * in rate so that a flood of bad requests cannot fill the disk.
 */
#ifndef NVD_PLUGIN_REJECT_LOG_H
#define NVD_PLUGIN_REJECT_LOG_H

/* Maximum number of lines that reject_log() and reject_log_error() write per second. */
#define REJECT_LOG_MAX_PER_S 20

/*
 * Log one line as nvd_log() does, unless REJECT_LOG_MAX_PER_S lines were
 * logged in the current second. Dropped lines are counted, and the count
 * is logged before the next line that passes.
 */
void reject_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log one line as nvd_log_error() does, under the same limit. */
void reject_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log the count of dropped lines now, if any (at shutdown). */
void reject_log_flush(void);

#endif /* NVD_PLUGIN_REJECT_LOG_H */
