/* status.c: status strings and the per-thread last-error message. */
#include "titan.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];

const char *titan_status_string(titan_status s) {
    switch (s) {
#define TITAN_STATUS_CASE(name, value, msg)                                              \
    case name: return msg;
        TITAN_STATUS_LIST(TITAN_STATUS_CASE)
#undef TITAN_STATUS_CASE
    }
    return "unknown status";
}

const char *titan_last_error(void) { return last_error; }

titan_status titan_fail_in(titan_status s, const char *fmt, ...) {
    char context[256], why[sizeof last_error]; /* last_error is the output */
    snprintf(why, sizeof why, "%s", last_error);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(context, sizeof context, fmt, ap);
    va_end(ap);
    snprintf(last_error, sizeof last_error, "%.200s: %.300s", context, why);
    return s;
}

titan_status titan_fail(titan_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}
