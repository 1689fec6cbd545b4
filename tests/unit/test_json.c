/* test_json.c: the strict JSON parser accepts RFC 8259 documents exactly,
 * refuses each kind of malformed input with its position, and the writer's
 * output parses back to the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "formats/json.h"

static _Alignas(64) uint8_t arena_buf[1 << 16];

static titan_status parse(const char *text, const json_value **v, bool unique) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    const json_limits lim = {.max_depth = 8, .unique_keys = unique};
    return json_parse(&a, text, strlen(text), &lim, v);
}

static void parses_values(void **state) {
    (void)state;
    const json_value *v;
    assert_int_equal(parse(" {\"a\": [1, -2.5e3, true, false, null],"
                           " \"b\\u00e9\\ud83d\\ude00\": \"x\\\"\\n\"}\r\n",
                           &v, true),
                     TITAN_OK);
    assert_int_equal(v->type, JSON_OBJECT);
    assert_int_equal(v->len, 2);
    const json_value *a = json_get(v, "a");
    assert_non_null(a);
    assert_int_equal(a->len, 5);
    assert_true(a->child->is_int);
    assert_int_equal(a->child->integer, 1);
    assert_true(a->child->next->number == -2500.0);
    assert_false(a->child->next->is_int);
    assert_int_equal(a->child->next->next->type, JSON_TRUE);
    assert_int_equal(a->child->next->next->next->next->type, JSON_NULL);
    /* U+00E9 is C3 A9, U+1F600 (a surrogate pair) is F0 9F 98 80 */
    const json_value *b = json_get(v, "b\xc3\xa9\xf0\x9f\x98\x80");
    assert_non_null(b);
    assert_int_equal(b->len, 3);
    assert_memory_equal(b->str, "x\"\n", 4);
}

static void integers_are_exact(void **state) {
    (void)state;
    const json_value *v;
    assert_int_equal(parse("[9223372036854775807, -9223372036854775808,"
                           " 9223372036854775808, 1e2, 0, -0]",
                           &v, false),
                     TITAN_OK);
    const json_value *e = v->child;
    assert_true(e->is_int && e->integer == INT64_MAX);
    e = e->next;
    assert_true(e->is_int && e->integer == INT64_MIN);
    e = e->next;
    assert_false(e->is_int); /* 2^63 does not fit: a double only */
    assert_true(e->number == 9223372036854775808.0);
    e = e->next;
    assert_false(e->is_int);
    assert_true(e->number == 100.0);
    assert_true(e->next->is_int && e->next->next->is_int);
}

/* Each bad document, and the byte offset its error must name. */
static void refuses_with_position(void **state) {
    (void)state;
    static const struct {
        const char *text;
        const char *where;
    } bad[] = {
        {"", "byte 0)"},
        {"{}x", "byte 2)"},
        {"{} {}", "byte 3)"},
        {"[1,]", "byte 3)"},
        {"[01]", "byte 1)"},
        {"[1.]", "byte 3)"},
        {"[.5]", "byte 1)"},
        {"[1e]", "byte 3)"},
        {"[+1]", "byte 1)"},
        {"[1e999]", "byte 1)"},
        {"[-1e309]", "byte 1)"},
        {"{\"a\" 1}", "byte 5)"},
        {"{a:1}", "byte 1)"},
        {"[\"\\x\"]", "byte 2)"},
        {"[\"\\ud800\"]", "byte 2)"},
        {"[\"\\udc00\"]", "byte 2)"},
        {"[\"\\ud800\\u0041\"]", "byte 2)"},
        {"[\"a\tb\"]", "byte 3)"},
        {"[\"\xc0\xaf\"]", "byte 2)"},         /* overlong '/' */
        {"[\"\xed\xa0\x80\"]", "byte 2)"},     /* UTF-8 surrogate */
        {"[\"\xf4\x90\x80\x80\"]", "byte 2)"}, /* above U+10FFFF */
        {"[\"\xe2\x82\"]", "byte 2)"},         /* truncated sequence */
        {"[\"\x80\"]", "byte 2)"},
        {"\"abc", "byte 0)"},
        {"[tru]", "byte 1)"},
        {"[nul", "byte 1)"},
        {"{\"k\":1,\"k\":2}", "byte 7)"},
        {"[[[[[[[[[1]]]]]]]]]", "byte 8)"},
        {"\n\n  ]", "line 3 column 3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const json_value *v;
        if (parse(bad[i].text, &v, true) != TITAN_E_DATA)
            fail_msg("accepted: %s", bad[i].text);
        if (!strstr(titan_last_error(), bad[i].where))
            fail_msg("%s: message '%s' lacks '%s'", bad[i].text, titan_last_error(),
                     bad[i].where);
    }
}

static void duplicate_keys_only_when_asked(void **state) {
    (void)state;
    const json_value *v;
    assert_int_equal(parse("{\"k\":1,\"k\":2}", &v, false), TITAN_OK);
    assert_int_equal(json_get(v, "k")->integer, 1);
    /* keys that differ only after a NUL are different keys */
    assert_int_equal(parse("{\"k\":1,\"k\\u0000\":2}", &v, true), TITAN_OK);
}

static void nul_inside_text_is_refused(void **state) {
    (void)state;
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    const json_value *v;
    assert_int_equal(json_parse(&a, "[1]\0", 4, NULL, &v), TITAN_E_DATA);
    assert_int_equal(json_parse(&a, "[\"\0\"]", 5, NULL, &v), TITAN_E_DATA);
}

static void small_arena_is_nomem(void **state) {
    (void)state;
    static _Alignas(64) uint8_t tiny[256];
    titan_arena a;
    titan_arena_init(&a, tiny, sizeof tiny);
    const json_value *v;
    const char *t = "[1,2,3,4,5,6,7,8,9,10,11,12]";
    assert_int_equal(json_parse(&a, t, strlen(t), NULL, &v), TITAN_E_NOMEM);
    titan_arena_init(&a, NULL, 0);
    assert_int_equal(json_parse(&a, t, strlen(t), NULL, &v), TITAN_E_USAGE);
}

static void writer_round_trips(void **state) {
    (void)state;
    const double d[] = {0.1,
                        1.0 / 3,
                        1e-5,
                        5e-324,
                        1.7976931348623157e308,
                        -0.0,
                        123456789.0,
                        0.30000000000000004};
    const char s[] = "q\"b\\s/\x01\x1f\n\t\xc3\xa9";
    char buf[512];
    json_writer w;
    json_writer_init(&w, buf, sizeof buf);
    json_begin_object(&w);
    json_key(&w, "d");
    json_begin_array(&w);
    for (size_t i = 0; i < sizeof d / sizeof *d; i++) json_double(&w, d[i]);
    json_end_array(&w);
    json_key(&w, "s");
    json_string(&w, s, sizeof s - 1);
    json_key(&w, "i");
    json_int(&w, INT64_MIN);
    json_key(&w, "u");
    json_uint(&w, UINT64_MAX);
    json_key(&w, "e");
    json_begin_object(&w);
    json_end_object(&w);
    json_end_object(&w);
    size_t len;
    assert_int_equal(json_writer_finish(&w, &len), TITAN_OK);
    assert_int_equal(len, strlen(buf));
    assert_non_null(strstr(buf, "\"d\":[0.1,0.3333333333333333,1e-05,"));
    assert_non_null(strstr(buf, "\\u0001\\u001f\\n\\t"));
    /* measuring gives the same length */
    json_writer m;
    json_writer_init(&m, NULL, 0);
    json_begin_array(&m);
    json_double(&m, 0.5);
    json_end_array(&m);
    assert_int_equal(json_writer_finish(&m, &len), TITAN_OK);
    assert_int_equal(len, 5);

    const json_value *v;
    assert_int_equal(parse(buf, &v, true), TITAN_OK);
    size_t i = 0;
    for (const json_value *e = json_get(v, "d")->child; e; e = e->next, i++) {
        assert_memory_equal(&e->number, &d[i], sizeof(double));
    }
    assert_int_equal(i, sizeof d / sizeof *d);
    const json_value *js = json_get(v, "s");
    assert_int_equal(js->len, sizeof s - 1);
    assert_memory_equal(js->str, s, sizeof s - 1);
    assert_true(json_get(v, "i")->integer == INT64_MIN);
    assert_false(json_get(v, "u")->is_int);
}

static void writer_refuses_misuse(void **state) {
    (void)state;
    char buf[8];
    size_t len;
    json_writer w;
    json_writer_init(&w, buf, sizeof buf);
    json_begin_array(&w);
    json_double(&w, NAN);
    json_end_array(&w);
    assert_int_equal(json_writer_finish(&w, &len), TITAN_E_USAGE);
    json_writer_init(&w, buf, sizeof buf);
    json_begin_array(&w);
    assert_int_equal(json_writer_finish(&w, &len), TITAN_E_USAGE);
    json_writer_init(&w, buf, sizeof buf); /* "[1,2,3,4]" + NUL > 8 */
    json_begin_array(&w);
    for (int i = 1; i <= 4; i++) json_int(&w, i);
    json_end_array(&w);
    assert_int_equal(json_writer_finish(&w, &len), TITAN_E_USAGE);
    assert_int_equal(len, 9);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_values),
        cmocka_unit_test(integers_are_exact),
        cmocka_unit_test(refuses_with_position),
        cmocka_unit_test(duplicate_keys_only_when_asked),
        cmocka_unit_test(nul_inside_text_is_refused),
        cmocka_unit_test(small_arena_is_nomem),
        cmocka_unit_test(writer_round_trips),
        cmocka_unit_test(writer_refuses_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
