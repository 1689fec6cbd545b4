/* test_utf8_stream.c: the byte stream made valid UTF-8 (tools/titan/
 * utf8_stream.c; titan run --json and titan serve): well-formed text passes
 * whole even when split byte by byte, every byte of an ill-formed sequence
 * (stray continuation, overlong, surrogate, past U+10FFFF, cut short)
 * becomes U+FFFD, and a sequence unfinished at the end is flushed so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tools/titan/utf8_stream.h"

/* The stream's output for in[0..n), flushed at the end, into out. */
static size_t run(const char *in, size_t n, char *out) {
    utf8_stream u = {0};
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += utf8_stream_byte(&u, (uint8_t)in[i], (uint8_t *)out + len);
    return len + utf8_stream_flush(&u, (uint8_t *)out + len);
}

static void expect(const char *in, size_t n, const char *want) {
    char out[256];
    size_t len = run(in, n, out);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
}

#define FFFD "\xef\xbf\xbd"

static void valid_passes(void **state) {
    (void)state;
    const char *t = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"; /* a é € 😀 z */
    expect(t, strlen(t), t);
    expect("\xed\x9f\xbf", 3, "\xed\x9f\xbf");         /* U+D7FF */
    expect("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
}

static void invalid_becomes_fffd(void **state) {
    (void)state;
    expect("\x80x", 2, FFFD "x");                       /* stray continuation */
    expect("\xc0\xaf", 2, FFFD FFFD);                   /* overlong lead */
    expect("\xe0\x80\xaf", 3, FFFD FFFD FFFD);          /* overlong 3-byte */
    expect("\xed\xa0\x80", 3, FFFD FFFD FFFD);          /* surrogate */
    expect("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD); /* past U+10FFFF */
    expect("\xe2\x82x", 3, FFFD FFFD "x");              /* cut short */
    expect("\xff", 1, FFFD);
}

static void unfinished_at_end(void **state) {
    (void)state;
    expect("ok\xf0\x9f\x98", 5, "ok" FFFD FFFD FFFD);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_passes),
        cmocka_unit_test(invalid_becomes_fffd),
        cmocka_unit_test(unfinished_at_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
