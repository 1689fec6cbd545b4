/* json.h: a small strict JSON (RFC 8259) parser that builds its tree in a
 * titan_arena, and a writer into a caller buffer. Library-internal. */
#ifndef TITAN_FORMATS_JSON_H
#define TITAN_FORMATS_JSON_H

#include "titan.h"

#include <stdbool.h>

typedef enum {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

/* One value. Arrays and objects hold their children as a list (child, next);
 * an object's children carry their member key. Strings are decoded UTF-8,
 * NUL-terminated, and may contain NUL bytes (\u0000): use the length. */
typedef struct json_value {
    json_type type;
    size_t pos;      /* byte offset of the value in the text */
    double number;   /* JSON_NUMBER, always set */
    bool is_int;     /* literal had no fraction/exponent and fits int64 */
    int64_t integer; /* when is_int */
    const char *str; /* JSON_STRING */
    size_t len;      /* string bytes, or array/object child count */
    struct json_value *child, *next;
    const char *key; /* member key when the parent is an object */
    size_t key_len;
} json_value;

typedef struct {
    int max_depth;    /* nesting limit (arrays + objects); <= 0: 64 */
    bool unique_keys; /* refuse an object that repeats a key */
} json_limits;

/* Parse all of text[0..len) (whitespace around the value is allowed, anything
 * else after it is not). TITAN_E_DATA with "line L column C (byte B)" for bad
 * input, TITAN_E_NOMEM if the arena is full. The arena must have a buffer
 * (not measuring mode): the tree is built in it. */
TITAN_NODISCARD titan_status json_parse(titan_arena *a, const char *text, size_t len,
                                        const json_limits *limits,
                                        const json_value **root);

/* The member of an object with this key (first one), or NULL. */
const json_value *json_get(const json_value *obj, const char *key);

/* Whether an object member's key is exactly `key` (NUL bytes included). */
bool json_key_is(const json_value *member, const char *key);

/* "object", "string", ... for messages. */
const char *json_type_name(json_type t);

/* Writer: appends to buf[0..cap) and keeps counting past the end, so a pass
 * with buf == NULL measures the exact size. Commas between values and the
 * nesting are tracked; keys go before each object member. */
#define JSON_WRITER_DEPTH 32
typedef struct {
    char *buf;
    size_t cap, len; /* len counts every byte produced, even past cap */
    int depth;
    bool first[JSON_WRITER_DEPTH]; /* no value yet at this level */
    bool after_key;
    bool bad; /* non-finite number or nesting misuse */
} json_writer;

void json_writer_init(json_writer *w, char *buf, size_t cap);
void json_begin_object(json_writer *w);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w);
void json_end_array(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_string(json_writer *w, const char *s, size_t len);
/* The shortest of %.15g .. %.17g that reads back as exactly v. */
#define JSON_DOUBLE_TEXT 32
void json_double_text(double v, char out[JSON_DOUBLE_TEXT]);

void json_double(json_writer *w, double v); /* shortest exact round trip */
void json_int(json_writer *w, int64_t v);
void json_uint(json_writer *w, uint64_t v);
void json_bool(json_writer *w, bool v);
void json_null(json_writer *w);
/* Raw bytes outside the grammar (e.g. padding spaces, a newline). */
void json_raw(json_writer *w, const char *s, size_t len);

/* Finish: NUL-terminates when there is room and gives the length (without the
 * NUL). TITAN_E_USAGE if a number was not finite, nesting is unbalanced, or
 * buf is non-NULL and cap <= len (no room for the text and its NUL). */
TITAN_NODISCARD titan_status json_writer_finish(json_writer *w, size_t *len);

#endif
