/* json.c: strict RFC 8259 parser into an arena, and a buffer writer.
 * The parser refuses what lenient ones accept: trailing garbage, leading
 * zeros, invalid or overlong UTF-8, lone surrogates, control characters in
 * strings, numbers that overflow a double, and (on request) repeated keys. */
#include "formats/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_NUMBER_MAX 128 /* longest number literal accepted */

typedef struct {
    titan_arena *a;
    const char *s;
    size_t len, pos;
    int depth, max_depth;
    bool unique_keys;
} parser;

const char *json_type_name(json_type t) {
    static const char *const names[] = {"null",   "false", "true",  "number",
                                        "string", "array", "object"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

/* Every parse error names line, column (1-based, in bytes) and offset. */
static titan_status fail_at(const parser *p, size_t pos, const char *what) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return titan_fail(TITAN_E_DATA, "json: line %zu column %zu (byte %zu): %s", line, col,
                      pos, what);
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static titan_status new_value(parser *p, json_type t, json_value **out) {
    void *mem;
    TITAN_TRY(titan_arena_calloc(p->a, sizeof(json_value), _Alignof(json_value), &mem));
    *out = mem;
    (*out)->type = t;
    (*out)->pos = p->pos;
    return TITAN_OK;
}

static titan_status parse_value(parser *p, json_value **out);

static titan_status parse_literal(parser *p, const char *word, json_type t,
                                  json_value **out) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
        return fail_at(p, p->pos, "invalid literal");
    TITAN_TRY(new_value(p, t, out));
    p->pos += n;
    return TITAN_OK;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static size_t scan_digits(const parser *p, size_t i) {
    while (i < p->len && is_digit(p->s[i])) i++;
    return i;
}

/* Exact int64 value of an integer literal, if it fits. */
static bool integer_value(const char *s, size_t n, int64_t *out) {
    bool neg = s[0] == '-';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (size_t i = neg; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static titan_status parse_number(parser *p, json_value **out) {
    size_t start = p->pos, i = start;
    if (i < p->len && p->s[i] == '-') i++;
    if (i >= p->len || !is_digit(p->s[i])) return fail_at(p, i, "expected a digit");
    if (p->s[i] == '0' && i + 1 < p->len && is_digit(p->s[i + 1]))
        return fail_at(p, i, "leading zero in number");
    i = scan_digits(p, i);
    bool integral = true;
    if (i < p->len && p->s[i] == '.') {
        integral = false;
        if (i + 1 >= p->len || !is_digit(p->s[i + 1]))
            return fail_at(p, i + 1, "expected a digit after '.'");
        i = scan_digits(p, i + 1);
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        integral = false;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) i++;
        if (i >= p->len || !is_digit(p->s[i]))
            return fail_at(p, i, "expected a digit in exponent");
        i = scan_digits(p, i);
    }
    size_t n = i - start;
    if (n >= JSON_NUMBER_MAX) return fail_at(p, start, "number too long");
    char buf[JSON_NUMBER_MAX];
    memcpy(buf, p->s + start, n);
    buf[n] = 0;
    TITAN_TRY(new_value(p, JSON_NUMBER, out));
    (*out)->number = strtod(buf, NULL);
    if (!isfinite((*out)->number)) return fail_at(p, start, "number out of range");
    (*out)->is_int = integral && integer_value(buf, n, &(*out)->integer);
    p->pos = i;
    return TITAN_OK;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at s[i..i+4), or -1. */
static long hex4(const parser *p, size_t i) {
    if (p->len - i < 4) return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hex_value(p->s[i + (size_t)k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *dst, unsigned long cp) {
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xc0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xe0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        dst[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    dst[0] = (char)(0xf0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    dst[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7:
 * no overlongs, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_length(const parser *p, size_t i) {
    const unsigned char *u = (const unsigned char *)p->s + i;
    size_t left = p->len - i;
    unsigned char c = u[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (left < n || u[1] < lo || u[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if (u[k] < 0x80 || u[k] > 0xbf) return 0;
    return n;
}

/* An escape at s[i] == '\\': decode into dst, advance *i past it. */
static titan_status parse_escape(parser *p, size_t *i, char *dst, size_t *out_n) {
    size_t at = *i;
    char c = at + 1 < p->len ? p->s[at + 1] : 0;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        dst[0] = to[hit - from];
        *out_n = 1;
        *i = at + 2;
        return TITAN_OK;
    }
    if (c != 'u') return fail_at(p, at, "invalid escape");
    long cp = hex4(p, at + 2);
    if (cp < 0) return fail_at(p, at, "invalid \\u escape");
    size_t end = at + 6;
    if (cp >= 0xdc00 && cp <= 0xdfff) return fail_at(p, at, "lone low surrogate");
    if (cp >= 0xd800 && cp <= 0xdbff) {
        long lo = (end + 1 < p->len && p->s[end] == '\\' && p->s[end + 1] == 'u')
                      ? hex4(p, end + 2)
                      : -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail_at(p, at, "high surrogate without a low one");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        end += 6;
    }
    *out_n = put_utf8(dst, (unsigned long)cp);
    *i = end;
    return TITAN_OK;
}

/* A string at s[pos] == '"'. Decoded text is never longer than the raw text,
 * so the raw span (found first) sizes the arena block. */
static titan_status parse_string_raw(parser *p, const char **str, size_t *len) {
    size_t start = p->pos + 1, end = start;
    while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len) return fail_at(p, p->pos, "unterminated string");
    void *mem;
    TITAN_TRY(titan_arena_alloc(p->a, end - start + 1, 1, &mem));
    char *dst = mem;
    size_t n = 0, i = start;
    while (i < end) {
        unsigned char c = (unsigned char)p->s[i];
        size_t k = 0;
        if (c == '\\') {
            TITAN_TRY(parse_escape(p, &i, dst + n, &k));
        } else if (c < 0x20) {
            return fail_at(p, i, "control character in string");
        } else {
            k = utf8_length(p, i);
            if (k == 0 || i + k > end) return fail_at(p, i, "invalid UTF-8 in string");
            memcpy(dst + n, p->s + i, k);
            i += k;
        }
        n += k;
    }
    dst[n] = 0;
    *str = dst;
    *len = n;
    p->pos = end + 1;
    return TITAN_OK;
}

static titan_status parse_string(parser *p, json_value **out) {
    TITAN_TRY(new_value(p, JSON_STRING, out));
    return parse_string_raw(p, &(*out)->str, &(*out)->len);
}

static int compare_keys(const void *x, const void *y) {
    const json_value *a = *(const json_value *const *)x;
    const json_value *b = *(const json_value *const *)y;
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    if (c) return c;
    return (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

/* Sort member pointers in a scratch block (freed after): n log n even for a
 * hostile header with millions of keys. */
static titan_status check_unique_keys(parser *p, const json_value *obj) {
    size_t mark = titan_arena_mark(p->a);
    void *mem;
    TITAN_TRY(titan_arena_alloc(p->a, obj->len * sizeof(json_value *),
                                _Alignof(json_value *), &mem));
    const json_value **sorted = mem;
    size_t n = 0;
    for (const json_value *m = obj->child; m; m = m->next) sorted[n++] = m;
    qsort(sorted, n, sizeof *sorted, compare_keys);
    const json_value *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (!compare_keys(&sorted[i - 1], &sorted[i])) dup = sorted[i];
    titan_arena_reset(p->a, mark);
    if (!dup) return TITAN_OK;
    char what[96];
    snprintf(what, sizeof what, "duplicate key \"%.*s\"",
             (int)(dup->key_len < 48 ? dup->key_len : 48), dup->key);
    return fail_at(p, dup->pos, what);
}

/* Arrays and objects: '[' or '{' at pos; members are "key": value. */
static titan_status parse_container(parser *p, json_type t, json_value **out) {
    bool object = t == JSON_OBJECT;
    char close = object ? '}' : ']';
    if (++p->depth > p->max_depth) return fail_at(p, p->pos, "nesting too deep");
    TITAN_TRY(new_value(p, t, out));
    json_value *v = *out, **tail = &v->child;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        p->depth--;
        return TITAN_OK;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0, key_pos = p->pos;
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return fail_at(p, p->pos, "expected a string key");
            TITAN_TRY(parse_string_raw(p, &key, &key_len));
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return fail_at(p, p->pos, "expected ':'");
            p->pos++;
            skip_ws(p);
        }
        json_value *item;
        TITAN_TRY(parse_value(p, &item));
        if (object) {
            item->key = key;
            item->key_len = key_len;
            item->pos = key_pos;
        }
        *tail = item;
        tail = &item->next;
        v->len++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            skip_ws(p);
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) break;
        return fail_at(p, p->pos, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    p->pos++;
    p->depth--;
    if (object && p->unique_keys) TITAN_TRY(check_unique_keys(p, v));
    return TITAN_OK;
}

static titan_status parse_value(parser *p, json_value **out) {
    if (p->pos >= p->len) return fail_at(p, p->pos, "unexpected end of text");
    switch (p->s[p->pos]) {
    case '{': return parse_container(p, JSON_OBJECT, out);
    case '[': return parse_container(p, JSON_ARRAY, out);
    case '"': return parse_string(p, out);
    case 't': return parse_literal(p, "true", JSON_TRUE, out);
    case 'f': return parse_literal(p, "false", JSON_FALSE, out);
    case 'n': return parse_literal(p, "null", JSON_NULL, out);
    default: return parse_number(p, out);
    }
}

titan_status json_parse(titan_arena *a, const char *text, size_t len,
                        const json_limits *limits, const json_value **root) {
    if (!a || !a->base || (!text && len) || !root)
        return titan_fail(TITAN_E_USAGE, "json: bad arguments");
    parser p = {.a = a, .s = text, .len = len, .max_depth = 64};
    if (limits && limits->max_depth > 0) p.max_depth = limits->max_depth;
    p.unique_keys = limits && limits->unique_keys;
    json_value *v;
    skip_ws(&p);
    TITAN_TRY(parse_value(&p, &v));
    skip_ws(&p);
    if (p.pos != len) return fail_at(&p, p.pos, "unexpected text after the value");
    *root = v;
    return TITAN_OK;
}

bool json_key_is(const json_value *member, const char *key) {
    size_t n = strlen(key);
    return member->key && member->key_len == n && !memcmp(member->key, key, n);
}

const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    for (const json_value *m = obj->child; m; m = m->next)
        if (json_key_is(m, key)) return m;
    return NULL;
}

/* ---------------------------------------------------------------- writer */

void json_writer_init(json_writer *w, char *buf, size_t cap) {
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->first[0] = true;
}

void json_raw(json_writer *w, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++, w->len++)
        if (w->len < w->cap) w->buf[w->len] = s[i];
}

static void put_char(json_writer *w, char c) { json_raw(w, &c, 1); }

/* Separator before a value: a comma unless first at its level or after a key. */
static void begin_value(json_writer *w) {
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth]) put_char(w, ',');
    w->first[w->depth] = false;
}

static void open_level(json_writer *w, char c) {
    begin_value(w);
    put_char(w, c);
    if (w->depth + 1 >= JSON_WRITER_DEPTH) {
        w->bad = true;
        return;
    }
    w->first[++w->depth] = true;
}

static void close_level(json_writer *w, char c) {
    if (w->depth == 0 || w->after_key)
        w->bad = true;
    else
        w->depth--;
    put_char(w, c);
}

void json_begin_object(json_writer *w) { open_level(w, '{'); }
void json_end_object(json_writer *w) { close_level(w, '}'); }
void json_begin_array(json_writer *w) { open_level(w, '['); }
void json_end_array(json_writer *w) { close_level(w, ']'); }

static void put_string(json_writer *w, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    put_char(w, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                                      : NULL;
        if (esc) {
            json_raw(w, esc, 2);
        } else if (c < 0x20) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            json_raw(w, u, 6);
        } else {
            put_char(w, (char)c);
        }
    }
    put_char(w, '"');
}

void json_key(json_writer *w, const char *key) {
    begin_value(w);
    put_string(w, key, strlen(key));
    put_char(w, ':');
    w->after_key = true;
}

void json_string(json_writer *w, const char *s, size_t len) {
    begin_value(w);
    put_string(w, s, len);
}

static void put_text(json_writer *w, const char *t) {
    begin_value(w);
    json_raw(w, t, strlen(t));
}

/* The shortest of %.15g..%.17g that reads back as the same double. */
void json_double(json_writer *w, double v) {
    if (!isfinite(v)) {
        w->bad = true;
        put_text(w, "null");
        return;
    }
    char t[JSON_DOUBLE_TEXT];
    json_double_text(v, t);
    put_text(w, t);
}

void json_double_text(double v, char out[JSON_DOUBLE_TEXT]) {
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(out, JSON_DOUBLE_TEXT, "%.*g", digits, v);
        if (strtod(out, NULL) == v) break;
    }
}

void json_int(json_writer *w, int64_t v) {
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)v);
    put_text(w, t);
}

void json_uint(json_writer *w, uint64_t v) {
    char t[24];
    snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    put_text(w, t);
}

void json_bool(json_writer *w, bool v) { put_text(w, v ? "true" : "false"); }
void json_null(json_writer *w) { put_text(w, "null"); }

titan_status json_writer_finish(json_writer *w, size_t *len) {
    if (w->bad || w->depth || w->after_key)
        return titan_fail(TITAN_E_USAGE,
                          "json writer: non-finite number or unbalanced nesting");
    *len = w->len;
    if (!w->buf) return TITAN_OK;
    if (w->len >= w->cap)
        return titan_fail(TITAN_E_USAGE, "json writer: buffer of %zu < %zu bytes", w->cap,
                          w->len + 1);
    w->buf[w->len] = 0;
    return TITAN_OK;
}
