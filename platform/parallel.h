/* parallel.h: the operating-system edge for threads. */
#ifndef TITAN_PLATFORM_PARALLEL_H
#define TITAN_PLATFORM_PARALLEL_H

#include "titan.h"

/* Run fn(user, w) for w = 0..workers-1 concurrently: worker 0 on the calling
 * thread, the others on fresh threads, all joined before returning. If the OS
 * refuses a thread, fewer workers run: callers hand out work dynamically, so
 * every piece is still done. TITAN_E_USAGE for workers outside 1..256. */
TITAN_NODISCARD titan_status titan_parallel_run(int workers,
                                                void (*fn)(void *user, int worker),
                                                void *user);

#endif
