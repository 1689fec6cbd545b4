/* threads.c: the pool. A job is published by bumping `generation`; workers
 * spin briefly (decode issues many microsecond-sized jobs back to back, too
 * short for a futex round trip), then sleep on a condition variable. The
 * sleeper counters and sequentially consistent atomics (store generation,
 * load sleepers / store sleepers, load generation) rule out lost wake-ups.
 * A job is cut into a fixed number of chunks (whole grains, independent of
 * the thread count and of timing). Each thread owns a contiguous range of
 * them, claimed from a counter on its own cache line, and then steals what
 * is left of the other ranges: a worker that the scheduler wakes late simply
 * runs fewer chunks, and the caller never waits for a share that nobody has
 * started. Shared lines move a few times per job, not per chunk, which
 * matters when the two threads sit on different core complexes. The chunk
 * bounds are fixed, so results do not change. */
#include "platform/threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define SPIN_ROUNDS 20000
#define POOL_CHUNKS 32 /* chunks per job (fewer when there are fewer grains) */

typedef struct {
    _Alignas(64) atomic_ullong word;
} range;

struct titan_thread_pool {
    int threads;
    pthread_t workers[TITAN_POOL_MAX_THREADS]; /* [threads-1] */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    atomic_ullong generation;
    /* Per thread: job << 32 | end << 16 | next chunk of its range, one word,
     * so a thread still busy with an old job never claims a chunk of the
     * next one. */
    range ranges[TITAN_POOL_MAX_THREADS];
    atomic_int chunks_done; /* added once per thread and job */
    atomic_int sleepers;    /* workers blocked on `wake` */
    atomic_int caller_sleeping;
    atomic_bool stop;
    /* The current job, written before the ranges are set. */
    titan_thread_pool_fn fn;
    void *ctx;
    int64_t n, grain, chunk_units;
    int chunks;
};

typedef struct {
    titan_thread_pool *pool;
    int index;
} worker_arg;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Claim and run chunks of range r of job `job` until it is empty. */
static int run_range(titan_thread_pool *p, unsigned job, int r, int thread) {
    atomic_ullong *w = &p->ranges[r].word;
    unsigned long long c = atomic_load(w);
    int ran = 0;
    for (;;) {
        unsigned next = c & 0xffff, end = (c >> 16) & 0xffff;
        if (c >> 32 != job || next >= end) return ran;
        if (!atomic_compare_exchange_weak(w, &c, c + 1)) continue;
        /* The job cannot end before this chunk is done: its fields hold. */
        int64_t begin = (int64_t)next * p->chunk_units * p->grain;
        int64_t stop = begin + p->chunk_units * p->grain;
        p->fn(p->ctx, begin, stop < p->n ? stop : p->n, thread);
        ran++;
        c = atomic_load(w);
    }
}

/* This thread's range, then the others', then report the count once. */
static void run_chunks(titan_thread_pool *p, unsigned long long job, int thread) {
    int ran = 0, T = p->threads;
    for (int i = 0; i < T; i++)
        ran += run_range(p, (unsigned)job, (thread + i) % T, thread);
    if (ran && atomic_fetch_add(&p->chunks_done, ran) + ran == p->chunks &&
        atomic_load(&p->caller_sleeping)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

static unsigned long long wait_for_job(titan_thread_pool *p, unsigned long long seen) {
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        unsigned long long g = atomic_load(&p->generation);
        if (g != seen) return g;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    while (atomic_load(&p->generation) == seen) pthread_cond_wait(&p->wake, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    return atomic_load(&p->generation);
}

static void *worker_main(void *arg) {
    worker_arg *w = arg;
    titan_thread_pool *p = w->pool;
    unsigned long long seen = 0;
    for (;;) {
        seen = wait_for_job(p, seen);
        if (atomic_load(&p->stop)) return NULL;
        run_chunks(p, seen, w->index);
    }
}

static void publish(titan_thread_pool *p) {
    atomic_fetch_add(&p->generation, 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
}

static void wait_for_chunks(titan_thread_pool *p, int chunks) {
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (atomic_load(&p->chunks_done) == chunks) return;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->caller_sleeping, 1);
    while (atomic_load(&p->chunks_done) < chunks) pthread_cond_wait(&p->done, &p->mu);
    atomic_store(&p->caller_sleeping, 0);
    pthread_mutex_unlock(&p->mu);
}

titan_status titan_thread_pool_create(titan_arena *a, int threads,
                                      titan_thread_pool **out) {
    if (!a || !out || threads < 1 || threads > TITAN_POOL_MAX_THREADS)
        return titan_fail(TITAN_E_USAGE, "pool: threads must be in [1, %d]",
                          TITAN_POOL_MAX_THREADS);
    *out = NULL;
    titan_thread_pool *p;
    worker_arg *args;
    TITAN_TRY(titan_arena_calloc(a, sizeof *p, TITAN_ALIGN, (void **)&p));
    TITAN_TRY(titan_arena_calloc(a, sizeof *args * (size_t)threads, TITAN_ALIGN,
                                 (void **)&args));
    if (!p) return TITAN_OK; /* measuring */
    p->threads = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < threads; i++) {
        args[i] = (worker_arg){p, i};
        if (pthread_create(&p->workers[i - 1], NULL, worker_main, &args[i])) {
            p->threads = i; /* join the ones that started */
            titan_thread_pool_destroy(p);
            return titan_fail(TITAN_E_NOMEM, "pool: cannot start thread %d", i);
        }
    }
    *out = p;
    return TITAN_OK;
}

void titan_thread_pool_destroy(titan_thread_pool *p) {
    if (!p) return;
    atomic_store(&p->stop, true);
    publish(p);
    for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
}

int titan_thread_pool_threads(const titan_thread_pool *p) { return p ? p->threads : 1; }

void titan_thread_pool_for(titan_thread_pool *p, int64_t n, int64_t grain,
                           titan_thread_pool_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t units = (n + grain - 1) / grain;
    if (!p || p->threads == 1 || units == 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    int64_t chunk_units = (units + POOL_CHUNKS - 1) / POOL_CHUNKS;
    int chunks = (int)((units + chunk_units - 1) / chunk_units);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->grain = grain;
    p->chunk_units = chunk_units;
    p->chunks = chunks;
    atomic_store(&p->chunks_done, 0);
    unsigned long long job = (atomic_load(&p->generation) + 1) & 0xffffffffu;
    for (int t = 0; t < p->threads; t++) {
        unsigned long long lo = (unsigned long long)chunks * t / p->threads;
        unsigned long long hi = (unsigned long long)chunks * (t + 1) / p->threads;
        atomic_store(&p->ranges[t].word, job << 32 | hi << 16 | lo);
    }
    publish(p);
    run_chunks(p, job, 0);
    wait_for_chunks(p, chunks);
}
