/*
 * log.c: 1.0's log format, "<argv0> | YYYY/MM/DD HH:MM:SS <message>", on
 * stderr in local time. Control characters in a message are escaped so that
 * a client's input cannot forge or garble log lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

static const char *log_progname = "nvd";

void nvd_log_init(const char *progname)
{
    if (progname && *progname)
        log_progname = progname;
}

/* Write one log line made of prefix and the formatted message. */
static void log_write(const char *prefix, const char *fmt, va_list ap)
{
    char msg[2048];
    char line[4096 + 256];
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    size_t n = 0;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y/%m/%d %H:%M:%S", &tm);
    n = (size_t)snprintf(line, sizeof(line), "%s | %s %s", log_progname, stamp, prefix);
    for (const unsigned char *p = (const unsigned char *)msg; *p && n + 5 < sizeof(line); p++) {
        if (*p < 0x20 || *p == 0x7f)
            n += (size_t)snprintf(line + n, sizeof(line) - n, "\\x%02x", *p);
        else
            line[n++] = (char)*p;
    }
    line[n++] = '\n';
    fwrite(line, 1, n, stderr);
    fflush(stderr);
}

void nvd_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_write("", fmt, ap);
    va_end(ap);
}

void nvd_log_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_write("Error: ", fmt, ap);
    va_end(ap);
}
