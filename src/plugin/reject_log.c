/*
 * reject_log.c: a rate limit on the log lines that clients can cause. Each
 * second may have REJECT_LOG_MAX_PER_S lines, and the rest are counted.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "nvd.h"
#include "reject_log.h"

static pthread_mutex_t reject_lock = PTHREAD_MUTEX_INITIALIZER;
static long long window_s = -1;          /* monotonic second that logged counts */
static unsigned logged;                  /* lines logged in window_s */
static unsigned long long dropped;       /* lines dropped since the last report */

/* Log the count of dropped lines and reset it. Called with reject_lock held. */
static void report_dropped_locked(void)
{
    if (dropped == 0)
        return;
    nvd_log("Suppressed %llu log lines about rejected requests and connections "
            "(at most %d such lines are logged per second)", dropped, REJECT_LOG_MAX_PER_S);
    dropped = 0;
}

static void reject_vlog(bool error, const char *fmt, va_list ap)
{
    struct timespec now;
    char message[1024];

    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&reject_lock);
    if (now.tv_sec != window_s) {
        window_s = now.tv_sec;
        logged = 0;
    }
    if (logged >= REJECT_LOG_MAX_PER_S) {
        dropped++;
        pthread_mutex_unlock(&reject_lock);
        return;
    }
    if (dropped > 0) {
        report_dropped_locked();
        logged++;
    }
    logged++;
    vsnprintf(message, sizeof(message), fmt, ap);
    if (error)
        nvd_log_error("%s", message);
    else
        nvd_log("%s", message);
    pthread_mutex_unlock(&reject_lock);
}

void reject_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    reject_vlog(false, fmt, ap);
    va_end(ap);
}

void reject_log_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    reject_vlog(true, fmt, ap);
    va_end(ap);
}

void reject_log_flush(void)
{
    pthread_mutex_lock(&reject_lock);
    report_dropped_locked();
    pthread_mutex_unlock(&reject_lock);
}
