/* status.h: library-internal error reporting. */
#ifndef TITAN_CORE_STATUS_H
#define TITAN_CORE_STATUS_H

#include "titan.h"

/* Record a printf-style message for titan_last_error() and return s, so that
 * failures read `return titan_fail(TITAN_E_DATA, "tensor %s: ...", name);`. */
titan_status titan_fail(titan_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Propagate a failure: evaluate once, return it if not TITAN_OK. */
#define TITAN_TRY(expr)                                                        \
    do {                                                                       \
        titan_status try_status_ = (expr);                                     \
        if (try_status_ != TITAN_OK) return try_status_;                       \
    } while (0)

#endif
