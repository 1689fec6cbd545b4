/* parallel.c: fork-join over POSIX threads. */
#include "platform/parallel.h"

#include <pthread.h>

enum { MAX_WORKERS = 256 };

typedef struct {
    void (*fn)(void *user, int worker);
    void *user;
    int worker;
} job;

static void *thread_main(void *arg) {
    job *j = arg;
    j->fn(j->user, j->worker);
    return NULL;
}

titan_status titan_parallel_run(int workers, void (*fn)(void *user, int worker),
                                void *user) {
    if (workers < 1 || workers > MAX_WORKERS || !fn)
        return titan_fail(TITAN_E_USAGE, "parallel: %d workers", workers);
    pthread_t tid[MAX_WORKERS];
    job jobs[MAX_WORKERS];
    int started = 1;
    for (; started < workers; started++) {
        jobs[started] = (job){fn, user, started};
        if (pthread_create(&tid[started], NULL, thread_main, &jobs[started])) break;
    }
    fn(user, 0);
    for (int w = 1; w < started; w++) pthread_join(tid[w], NULL);
    return TITAN_OK;
}
