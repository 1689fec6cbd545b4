/* threads.c: the pool. A job is published by bumping `generation`; workers
 * spin briefly (decode issues many microsecond-sized jobs back to back, too
 * short for a futex round trip), then sleep on a condition variable. The
 * sleeper counters and sequentially consistent atomics (store generation,
 * load sleepers / store sleepers, load generation) rule out lost wake-ups. */
#include "platform/threads.h"

#include "core/status.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define SPIN_ROUNDS 20000

struct titan_pool {
    int threads;
    pthread_t workers[TITAN_POOL_MAX_THREADS]; /* [threads-1] */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    atomic_ullong generation;
    atomic_int pending;   /* workers still running the current job */
    atomic_int sleepers;  /* workers blocked on `wake` */
    atomic_int caller_sleeping;
    atomic_bool stop;
    /* The current job, written before generation is bumped. */
    titan_pool_fn fn;
    void *ctx;
    int64_t n, grain;
};

typedef struct {
    titan_pool *pool;
    int index;
} worker_arg;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void run_share(titan_pool *p, int thread) {
    int64_t units = (p->n + p->grain - 1) / p->grain;
    int64_t u0 = units * thread / p->threads;
    int64_t u1 = units * (thread + 1) / p->threads;
    int64_t begin = u0 * p->grain, end = u1 * p->grain;
    if (end > p->n) end = p->n;
    if (begin < end) p->fn(p->ctx, begin, end, thread);
}

static unsigned long long wait_for_job(titan_pool *p, unsigned long long seen) {
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        unsigned long long g = atomic_load(&p->generation);
        if (g != seen) return g;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    while (atomic_load(&p->generation) == seen)
        pthread_cond_wait(&p->wake, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    return atomic_load(&p->generation);
}

static void *worker_main(void *arg) {
    worker_arg *w = arg;
    titan_pool *p = w->pool;
    unsigned long long seen = 0;
    for (;;) {
        seen = wait_for_job(p, seen);
        if (atomic_load(&p->stop)) return NULL;
        run_share(p, w->index);
        if (atomic_fetch_sub(&p->pending, 1) == 1 &&
            atomic_load(&p->caller_sleeping)) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void publish(titan_pool *p) {
    atomic_fetch_add(&p->generation, 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
}

static void wait_for_workers(titan_pool *p) {
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (atomic_load(&p->pending) == 0) return;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->caller_sleeping, 1);
    while (atomic_load(&p->pending) > 0) pthread_cond_wait(&p->done, &p->mu);
    atomic_store(&p->caller_sleeping, 0);
    pthread_mutex_unlock(&p->mu);
}

titan_status titan_pool_create(titan_arena *a, int threads, titan_pool **out) {
    if (!a || !out || threads < 1 || threads > TITAN_POOL_MAX_THREADS)
        return titan_fail(TITAN_E_USAGE, "pool: threads must be in [1, %d]",
                          TITAN_POOL_MAX_THREADS);
    *out = NULL;
    titan_pool *p;
    worker_arg *args;
    TITAN_TRY(titan_arena_calloc(a, sizeof *p, TITAN_ALIGN, (void **)&p));
    TITAN_TRY(titan_arena_calloc(a, sizeof *args * (size_t)threads,
                                 TITAN_ALIGN, (void **)&args));
    if (!p) return TITAN_OK; /* measuring */
    p->threads = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < threads; i++) {
        args[i] = (worker_arg){p, i};
        if (pthread_create(&p->workers[i - 1], NULL, worker_main, &args[i])) {
            p->threads = i; /* join the ones that started */
            titan_pool_destroy(p);
            return titan_fail(TITAN_E_NOMEM, "pool: cannot start thread %d", i);
        }
    }
    *out = p;
    return TITAN_OK;
}

void titan_pool_destroy(titan_pool *p) {
    if (!p) return;
    atomic_store(&p->stop, true);
    publish(p);
    for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
}

int titan_pool_threads(const titan_pool *p) { return p ? p->threads : 1; }

void titan_pool_for(titan_pool *p, int64_t n, int64_t grain, titan_pool_fn fn,
                    void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t units = (n + grain - 1) / grain;
    if (!p || p->threads == 1 || units == 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->grain = grain;
    atomic_store(&p->pending, p->threads - 1);
    publish(p);
    run_share(p, 0);
    wait_for_workers(p);
}
