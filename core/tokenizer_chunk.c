/* tokenizer_chunk.c: the pre-tokenization rule (titan.h documents it). Chunks
 * keep words, numbers, punctuation and whitespace apart so that BPE merges stay
 * meaningful and encoding can cache repeated chunks. */
#include "titan.h"

enum { CLASS_LETTER, CLASS_DIGIT, CLASS_SPACE, CLASS_OTHER };

static int byte_class(uint8_t c) {
    if (c >= 0x80 || (unsigned)((c | 0x20) - 'a') < 26u) return CLASS_LETTER;
    if ((unsigned)(c - '0') < 10u) return CLASS_DIGIT;
    if (c == ' ' || (unsigned)(c - '\t') < 5u) return CLASS_SPACE; /* \t \n \v \f \r */
    return CLASS_OTHER;
}

static size_t run_of(const uint8_t *text, size_t from, size_t len, int cls) {
    size_t i = from;
    while (i < len && byte_class(text[i]) == cls) i++;
    return i;
}

size_t titan_tokenizer_chunk(const uint8_t *text, size_t len) {
    if (!len) return 0;
    /* Runs are cut at TITAN_TOK_CHUNK_MAX, so looking one byte further gives
     * the same chunk, and a long run costs O(chunk), not O(run). */
    if (len > TITAN_TOK_CHUNK_MAX + 1) len = TITAN_TOK_CHUNK_MAX + 1;
    size_t n;
    int cls = byte_class(text[0]);
    if (text[0] == ' ' && len > 1 && byte_class(text[1]) == CLASS_LETTER) {
        n = run_of(text, 1, len, CLASS_LETTER);
    } else {
        n = run_of(text, 1, len, cls);
        /* Leave a space before a word to the word (" word"). */
        if (cls == CLASS_SPACE && n >= 2 && n < len && text[n - 1] == ' ' &&
            byte_class(text[n]) == CLASS_LETTER)
            n--;
    }
    return n < TITAN_TOK_CHUNK_MAX ? n : TITAN_TOK_CHUNK_MAX;
}
