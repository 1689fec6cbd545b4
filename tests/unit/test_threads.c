/* test_threads.c: the pool cuts every job into the same chunks whatever the
 * timing, runs each item once, survives many tiny jobs (no lost wake-up) and
 * lets the caller take the chunks of a worker that is stalled; with more
 * threads than cores, stolen ranges still run each item once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "platform/threads.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_ITEMS = 400, MAX_CALLS = 64 };

typedef struct {
    _Atomic int hits[MAX_ITEMS];
    _Atomic int calls, by_thread[2], stall_once, stalled;
    int64_t begin[MAX_CALLS], end[MAX_CALLS];
} job_log;

static void record(void *ctx, int64_t begin, int64_t end, int thread) {
    job_log *log = ctx;
    assert_true(thread == 0 || thread == 1);
    int k = atomic_fetch_add(&log->calls, 1);
    assert_true(k < MAX_CALLS);
    log->begin[k] = begin, log->end[k] = end;
    for (int64_t i = begin; i < end; i++) atomic_fetch_add(&log->hits[i], 1);
    atomic_fetch_add(&log->by_thread[thread], 1);
    struct timespec ms = {0, 1000 * 1000};
    if (thread == 1 && atomic_exchange(&log->stall_once, 0)) {
        atomic_store(&log->stalled, 1);
        for (int i = 0; i < 100; i++) nanosleep(&ms, NULL); /* descheduled */
    }
    /* With a stall pending, the caller's first chunk waits (up to 5 s) for
     * the worker to be inside it. */
    for (int i = 0; i < 5000 && thread == 0 && atomic_load(&log->stall_once) &&
                    !atomic_load(&log->stalled);
         i++)
        nanosleep(&ms, NULL);
}

static titan_thread_pool *two_threads(void) {
    static _Alignas(64) uint8_t buf[8192];
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    titan_thread_pool *p;
    assert_int_equal(titan_thread_pool_create(&a, 2, &p), TITAN_OK);
    return p;
}

/* Chunks are ceil(units / 32) grains long, whoever runs them. */
static void fixed_chunks_each_item_once(void **state) {
    (void)state;
    titan_thread_pool *p = two_threads();
    for (int64_t n = 1; n < MAX_ITEMS; n += 13) {
        for (int64_t grain = 1; grain < 40; grain += 7) {
            job_log *log = calloc(1, sizeof *log);
            titan_thread_pool_for(p, n, grain, record, log);
            int64_t units = (n + grain - 1) / grain;
            int64_t chunk = (units + 31) / 32 * grain;
            int calls = units == 1 ? 1 : (int)((n + chunk - 1) / chunk);
            assert_int_equal(log->calls, calls);
            for (int k = 0; k < calls; k++) {
                assert_int_equal(log->begin[k] % chunk, 0);
                int64_t end = log->begin[k] + chunk < n ? log->begin[k] + chunk : n;
                assert_int_equal(log->end[k], end);
            }
            for (int64_t i = 0; i < n; i++) assert_int_equal(log->hits[i], 1);
            assert_int_equal(log->hits[n], 0);
            free(log);
        }
    }
    titan_thread_pool_destroy(p);
}

static void many_tiny_jobs(void **state) {
    (void)state;
    titan_thread_pool *p = two_threads();
    job_log *log = calloc(1, sizeof *log);
    for (int rep = 0; rep < 5000; rep++) {
        memset(log, 0, sizeof *log);
        titan_thread_pool_for(p, 2, 1, record, log);
        assert_int_equal(log->hits[0] + log->hits[1], 2);
    }
    free(log);
    titan_thread_pool_destroy(p);
}

/* The worker stalls 100 ms in its first chunk: the caller runs the rest
 * instead of waiting for a fixed half, and the next job still works. */
static void stalled_worker_loses_its_share(void **state) {
    (void)state;
    titan_thread_pool *p = two_threads();
    job_log *log = calloc(1, sizeof *log);
    log->stall_once = 1;
    titan_thread_pool_for(p, 320, 1, record, log);
    assert_int_equal(log->calls, 32);
    assert_int_equal(log->by_thread[1], 1);
    assert_int_equal(log->by_thread[0], 31);
    memset(log, 0, sizeof *log);
    titan_thread_pool_for(p, 320, 10, record, log);
    for (int i = 0; i < 320; i++) assert_int_equal(log->hits[i], 1);
    free(log);
    titan_thread_pool_destroy(p);
}

static void count_items(void *ctx, int64_t begin, int64_t end, int thread) {
    _Atomic int *hits = ctx;
    assert_true(thread >= 0 && thread < 5);
    for (int64_t i = begin; i < end; i++) atomic_fetch_add(&hits[i], 1);
}

/* More threads than cores: ranges are stolen in every order, items still
 * run once each, job after job. */
static void oversubscribed_ranges_each_item_once(void **state) {
    (void)state;
    static _Alignas(64) uint8_t buf[16384];
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    titan_thread_pool *p;
    assert_int_equal(titan_thread_pool_create(&a, 5, &p), TITAN_OK);
    _Atomic int *hits = calloc(MAX_ITEMS, sizeof *hits);
    for (int rep = 0; rep < 2000; rep++) {
        int64_t n = 1 + rep % (MAX_ITEMS - 1);
        for (int64_t i = 0; i < n; i++) atomic_store(&hits[i], 0);
        titan_thread_pool_for(p, n, 1 + rep % 7, count_items, hits);
        for (int64_t i = 0; i < n; i++) assert_int_equal(atomic_load(&hits[i]), 1);
    }
    free(hits);
    titan_thread_pool_destroy(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_chunks_each_item_once),
        cmocka_unit_test(many_tiny_jobs),
        cmocka_unit_test(stalled_worker_loses_its_share),
        cmocka_unit_test(oversubscribed_ranges_each_item_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
