/* test_arena.c: alignment, exhaustion, mark/reset and measuring mode; the
 * failure messages (titan_fail_in) of core/base/status.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "titan.h"

static void alignment_and_high_water(void **state) {
    (void)state;
    _Alignas(64) uint8_t buf[1024];
    titan_arena a;
    titan_arena_init(&a, buf + 1, sizeof buf - 1); /* deliberately misaligned */
    void *p, *q;
    assert_int_equal(titan_arena_alloc(&a, 10, 64, &p), TITAN_OK);
    assert_int_equal((uintptr_t)p % 64, 0);
    assert_ptr_equal(p, buf + 64);
    assert_int_equal(a.used, 64 - 1 + 10);
    size_t mark = titan_arena_mark(&a);
    assert_int_equal(titan_arena_alloc(&a, 100, 8, &q), TITAN_OK);
    assert_int_equal((uintptr_t)q % 8, 0);
    size_t high = a.high;
    titan_arena_reset(&a, mark);
    assert_int_equal(a.used, mark);
    assert_int_equal(a.high, high);
}

static void exhaustion_is_an_error(void **state) {
    (void)state;
    uint8_t buf[256];
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    void *p = (void *)1;
    assert_int_equal(titan_arena_alloc(&a, 257, 1, &p), TITAN_E_NOMEM);
    assert_null(p);
    assert_int_equal(a.used, 0);
    assert_int_equal(titan_arena_alloc(&a, 256, 1, &p), TITAN_OK);
    assert_int_equal(titan_arena_alloc(&a, 1, 1, &p), TITAN_E_NOMEM);
    assert_int_equal(titan_arena_alloc(&a, SIZE_MAX, 1, &p), TITAN_E_NOMEM);
    assert_int_equal(titan_arena_alloc(&a, 1, 3, &p), TITAN_E_USAGE);
}

static void measuring_mode_counts(void **state) {
    (void)state;
    titan_arena a;
    titan_arena_init(&a, NULL, 0);
    void *p = (void *)1;
    assert_int_equal(titan_arena_alloc(&a, 100, 64, &p), TITAN_OK);
    assert_null(p);
    assert_int_equal(titan_arena_calloc(&a, 100, 64, &p), TITAN_OK);
    assert_int_equal(a.used, 128 + 100);
    assert_int_equal(a.high, 228);
}

/* titan_fail_in puts context before the last message (its own input). */
static void fail_in_adds_context(void **state) {
    (void)state;
    assert_int_equal(titan_fail(TITAN_E_DATA, "bad magic %d", 7), TITAN_E_DATA);
    assert_int_equal(titan_fail_in(TITAN_E_IO, "%s", "a.bin"), TITAN_E_IO);
    assert_string_equal(titan_last_error(), "a.bin: bad magic 7");
    assert_int_equal(titan_fail_in(TITAN_E_IO, "shard %d", 2), TITAN_E_IO);
    assert_string_equal(titan_last_error(), "shard 2: a.bin: bad magic 7");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alignment_and_high_water),
        cmocka_unit_test(exhaustion_is_an_error),
        cmocka_unit_test(measuring_mode_counts),
        cmocka_unit_test(fail_in_adds_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
