/* spm_normalize.c: SentencePiece's Normalizer (normalizer.cc), streamed: the
 * precompiled_charsmap's double-array trie (Darts-clone), malformed UTF-8 as
 * U+FFFD, user-defined pieces kept as they are, heading, repeated and
 * trailing whitespace removed, the dummy prefix and U+2581 for spaces. */
#include "core/spm.h"

#include "core/base/le.h"

#include <string.h>

static const uint8_t space_symbol[3] = {0xe2, 0x96, 0x81};     /* U+2581 */
static const uint8_t replacement_char[3] = {0xef, 0xbf, 0xbd}; /* U+FFFD */

/* Darts-clone units: label, leaf bit, child offset, value. */
static uint32_t unit_at(const titan_spm_normalizer *n, uint32_t i) {
    return le_rd32(n->trie + 4 * (size_t)i);
}
static uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
static uint32_t unit_label(uint32_t u) { return u & ((1u << 31) | 0xffu); }
static bool unit_leaf(uint32_t u) { return (u >> 8) & 1; }

/* commonPrefixSearch, keeping the longest of its first SPM_TRIE_RESULTS
 * matches as NormalizePrefix does: the match length (0: none), *value. Ids
 * outside the array end the search (only a hostile trie has them). */
static size_t trie_longest(const titan_spm_normalizer *n, const uint8_t *s, size_t len,
                           uint32_t *value) {
    size_t best = 0;
    int found = 0;
    if (!n->trie_units) return 0;
    uint32_t id = unit_offset(unit_at(n, 0));
    for (size_t i = 0; i < len; i++) {
        id ^= s[i];
        if (id >= n->trie_units) break;
        uint32_t u = unit_at(n, id);
        if (unit_label(u) != s[i]) break;
        id ^= unit_offset(u);
        if (!unit_leaf(u)) continue;
        if (id >= n->trie_units) break;
        if (found++ < SPM_TRIE_RESULTS) {
            best = i + 1;
            *value = unit_at(n, id) & 0x7fffffffu;
        }
    }
    return best;
}

/* The NUL-terminated replacement string at values[v]. */
static titan_status replacement(const titan_spm_normalizer *n, uint32_t v,
                                const uint8_t **s, size_t *len) {
    const uint8_t *end =
        v < n->values_len ? memchr(n->values + v, 0, n->values_len - v) : NULL;
    if (!end) return titan_fail(TITAN_E_DATA, "spm: charsmap value %u is broken", v);
    *s = n->values + v;
    *len = (size_t)(end - *s);
    return TITAN_OK;
}

static bool trail(uint8_t b) { return (b & 0xc0) == 0x80; }
static bool valid_cp(uint32_t c) { return c < 0xd800 || (c >= 0xe000 && c <= 0x10ffff); }

/* Length of the well-formed UTF-8 character at s, 0 if malformed
 * (string_util::IsValidDecodeUTF8; an encoded U+FFFD is well formed). */
static size_t utf8_valid(const uint8_t *s, size_t len) {
    uint32_t c;
    if (s[0] < 0x80) return 1;
    if (len >= 2 && (s[0] & 0xe0) == 0xc0) {
        c = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
        return trail(s[1]) && c >= 0x80 && valid_cp(c) ? 2 : 0;
    }
    if (len >= 3 && (s[0] & 0xf0) == 0xe0) {
        c = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
        return trail(s[1]) && trail(s[2]) && c >= 0x800 && valid_cp(c) ? 3 : 0;
    }
    if (len >= 4 && (s[0] & 0xf8) == 0xf0) {
        c = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
            (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
        return trail(s[1]) && trail(s[2]) && trail(s[3]) && c >= 0x10000 && valid_cp(c)
                   ? 4
                   : 0;
    }
    return 0;
}

/* NormalizePrefix: the replacement of the longest rule at s[0..len) (a
 * user-defined piece, a charsmap key, one character) and *used bytes. */
static titan_status prefix(const spm_coder *c, const uint8_t *s, size_t len,
                           const uint8_t **out, size_t *out_len, size_t *used) {
    uint32_t v = 0;
    size_t k = spm_user_match(c, s, len);
    if (k) {
        *out = s;
        *out_len = *used = k;
        return TITAN_OK;
    }
    if ((k = trie_longest(&c->spm->norm, s, len, &v))) {
        *used = k;
        return replacement(&c->spm->norm, v, out, out_len);
    }
    if (!(k = utf8_valid(s, len))) {
        *out = replacement_char;
        *out_len = 3;
        *used = 1;
        return TITAN_OK;
    }
    *out = s;
    *out_len = *used = k;
    return TITAN_OK;
}

/* Bytes s[0..n) write with spaces escaped. */
static size_t escaped_len(const titan_spm_normalizer *nm, const uint8_t *s, size_t n) {
    size_t out = n;
    for (size_t i = 0; nm->escape_whitespaces && i < n; i++) out += s[i] == ' ' ? 2 : 0;
    return out;
}

static void put(const titan_spm_normalizer *nm, const uint8_t *s, size_t k, uint8_t *out,
                size_t *n) {
    for (size_t i = 0; i < k; i++) {
        if (nm->escape_whitespaces && s[i] == ' ') {
            memcpy(out + *n, space_symbol, 3);
            *n += 3;
        } else {
            out[(*n)++] = s[i];
        }
    }
}

/* Heading whitespace (steps that give exactly " ") is dropped; then the
 * dummy prefix. Returns false when nothing but whitespace was left. */
static titan_status start(const spm_coder *c, spm_norm_state *s, uint8_t *out, size_t *n,
                          bool *any) {
    const titan_spm_normalizer *nm = &c->spm->norm;
    while (nm->remove_extra_whitespaces && s->at < s->len) {
        const uint8_t *o;
        size_t k, used;
        TITAN_TRY(prefix(c, s->text + s->at, s->len - s->at, &o, &k, &used));
        if (k != 1 || o[0] != ' ') break;
        s->at += used;
    }
    s->started = true;
    *any = s->at < s->len;
    if (*any && nm->add_dummy_prefix) put(nm, (const uint8_t *)" ", 1, out, n);
    s->prev_space = nm->remove_extra_whitespaces;
    return TITAN_OK;
}

/* One step: a rule's replacement, less the spaces that follow a space. */
static titan_status step(const spm_coder *c, spm_norm_state *s, uint8_t *out, size_t *n) {
    const titan_spm_normalizer *nm = &c->spm->norm;
    const uint8_t *o;
    size_t k, used;
    TITAN_TRY(prefix(c, s->text + s->at, s->len - s->at, &o, &k, &used));
    while (s->prev_space && k && o[0] == ' ') o++, k--;
    if (k) {
        put(nm, o, k, out, n);
        s->prev_space = o[k - 1] == ' ';
    }
    s->at += used;
    if (!nm->remove_extra_whitespaces) s->prev_space = false;
    return TITAN_OK;
}

titan_status spm_norm_fill(const spm_coder *c, spm_norm_state *s, uint8_t *out,
                           size_t cap, size_t *n, bool *done) {
    const titan_spm_normalizer *nm = &c->spm->norm;
    bool any = true;
    *done = false;
    if (!s->started) TITAN_TRY(start(c, s, out, n, &any));
    while (any && s->at < s->len && *n + c->unit_max <= cap)
        TITAN_TRY(step(c, s, out, n));
    if (s->at < s->len && any) return TITAN_OK;
    *done = true;
    const uint8_t *sp = nm->escape_whitespaces ? space_symbol : (const uint8_t *)" ";
    size_t k = nm->escape_whitespaces ? 3 : 1;
    while (nm->remove_extra_whitespaces && *n >= k && !memcmp(out + *n - k, sp, k))
        *n -= k;
    return TITAN_OK;
}

/* Darts-clone shares identical subtrees, so a walk meets a unit more than
 * once (nmt_nfkc: 6 times on average); more means a hostile array. */
enum { VISITS_PER_UNIT = 16 };

/* Depth-first walk of the trie: the longest escaped replacement and the most
 * bytes written per byte read. visits bounds a hostile (cyclic) array. */
typedef struct {
    const titan_spm_normalizer *n;
    size_t unit_max, ratio, visits;
} trie_walk;

static titan_status walk(trie_walk *w, uint32_t id, size_t depth) {
    const titan_spm_normalizer *n = w->n;
    if (++w->visits > VISITS_PER_UNIT * (size_t)n->trie_units || depth > 256)
        return titan_fail(TITAN_E_DATA, "spm: charsmap trie is malformed");
    for (uint32_t ch = 1; ch < 256; ch++) {
        uint32_t child = id ^ ch, u;
        if (child >= n->trie_units || unit_label(u = unit_at(n, child)) != ch) continue;
        uint32_t next = child ^ unit_offset(u);
        if (next >= n->trie_units)
            return titan_fail(TITAN_E_DATA, "spm: charsmap trie is malformed");
        if (unit_leaf(u)) {
            const uint8_t *s = NULL;
            size_t len = 0;
            TITAN_TRY(replacement(n, unit_at(n, next) & 0x7fffffffu, &s, &len));
            size_t out = escaped_len(n, s, len), r = (out + depth) / (depth + 1);
            if (out > w->unit_max) w->unit_max = out;
            if (r > w->ratio) w->ratio = r;
        }
        TITAN_TRY(walk(w, next, depth + 1));
    }
    return TITAN_OK;
}

titan_status spm_norm_measure(const titan_spm *spm, uint32_t *unit_max, uint32_t *ratio) {
    /* Without rules: a character of up to 4 bytes, a space as 3, a malformed
     * byte as U+FFFD (3 bytes); a user-defined piece at most 3 per byte. */
    trie_walk w = {&spm->norm, 4, 3, 0};
    if (spm->max_user_len * (size_t)3 > w.unit_max) w.unit_max = spm->max_user_len * 3u;
    if (spm->norm.trie_units) TITAN_TRY(walk(&w, unit_offset(unit_at(&spm->norm, 0)), 0));
    if (w.unit_max > SPM_UNIT_MAX)
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "spm: a normalization rule writes %zu bytes, at most %d",
                          w.unit_max, SPM_UNIT_MAX);
    *unit_max = (uint32_t)w.unit_max;
    *ratio = (uint32_t)w.ratio;
    return TITAN_OK;
}
