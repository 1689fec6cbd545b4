/* tokenizer_file.c: a serialized tokenizer ("TOK" file, titan.h) read from
 * disk: its arena need from the file size, then the read and the load. */
#include "platform/file.h"
#include "titan.h"

/* A TOK file is 16 header bytes, 8 per merge and a 4-byte CRC. */
enum { TOK_FILE_MIN = 16 + 4, TOK_FILE_MAX = TOK_FILE_MIN + 8 * (TITAN_TOK_MAX - 257) };

titan_status titan_tokenizer_file_plan(const char *path, size_t *bytes) {
    size_t size;
    TITAN_TRY(titan_file_size(path, &size));
    if (size < TOK_FILE_MIN || size > TOK_FILE_MAX)
        return titan_fail(TITAN_E_DATA, "%s: %zu bytes is no tokenizer file", path, size);
    /* The size gives the merge count; the loader checks it again. */
    size_t n_tokens = 257 + (size - TOK_FILE_MIN) / 8;
    *bytes = size + TITAN_ALIGN +
             titan_tokenizer_plan((int32_t)n_tokens,
                                  256 + (n_tokens - 257) * TITAN_TOK_CHUNK_MAX);
    return TITAN_OK;
}

titan_status titan_tokenizer_file_load(titan_arena *a, const char *path,
                                       const titan_tokenizer **t, const uint8_t **blob,
                                       size_t *len) {
    uint8_t *data;
    size_t size;
    TITAN_TRY(titan_file_read(a, path, TOK_FILE_MAX, &data, &size));
    titan_status st = titan_tokenizer_load(a, data, size, t);
    if (st != TITAN_OK) return titan_fail_in(st, "%s", path);
    if (blob) *blob = data;
    if (len) *len = size;
    return TITAN_OK;
}
