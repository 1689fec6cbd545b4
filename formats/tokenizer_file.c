/* tokenizer_file.c: a serialized tokenizer ("TOK" or BESE file, titan.h) or
 * a SentencePiece .model read from disk: its arena need from the file size,
 * then the read and the load. */
#include "core/tokenizer.h"
#include "platform/file.h"
#include "titan.h"

/* A TOK file is 16 header bytes, 8 per merge and a 4-byte CRC. */
enum { TOK_FILE_MIN = 16 + 4, TOK_FILE_MAX = TOK_FILE_MIN + 8 * (TITAN_TOK_MAX - 257) };

/* Arena bytes for a file of this size, of the kind its first byte tells
 * (0 when no such file has that size). */
static size_t plan_kind(size_t size, bool spm) {
    size_t n = size / 4 < TITAN_TOK_MAX ? size / 4 : TITAN_TOK_MAX;
    if (spm) /* the coder's strings are the pieces' */
        return size > TITAN_SPM_MAX_BYTES
                   ? 0
                   : sizeof(titan_tokenizer) + 2 * TITAN_ALIGN + titan_spm_plan(size) +
                         spm_coder_plan((int32_t)n, size);
    if (size < TOK_FILE_MIN || size > TOK_FILE_MAX) return 0;
    /* The size gives the merge count; the loader checks it again. A BESE
     * file of this size has 221 fewer tokens, so the bound covers it. */
    size_t n_tokens = 257 + (size - TOK_FILE_MIN) / 8;
    return titan_tokenizer_plan((int32_t)n_tokens,
                                256 + (n_tokens - 257) * TITAN_TOK_CHUNK_MAX);
}

titan_status titan_tokenizer_file_plan(const char *path, size_t *bytes) {
    size_t size;
    uint8_t first = 0;
    TITAN_TRY(titan_file_size(path, &size));
    if (size) TITAN_TRY(titan_file_read_at(path, 0, &first, 1));
    size_t need = plan_kind(size, first == TITAN_SPM_FIRST_BYTE);
    if (!need)
        return titan_fail(TITAN_E_DATA, "%s: %zu bytes is no tokenizer file", path, size);
    *bytes = size + TITAN_ALIGN + need;
    return TITAN_OK;
}

titan_status titan_tokenizer_file_load(titan_arena *a, const char *path,
                                       const titan_tokenizer **t, const uint8_t **blob,
                                       size_t *len) {
    uint8_t *data;
    size_t size;
    TITAN_TRY(titan_file_read(
        a, path, TOK_FILE_MAX > TITAN_SPM_MAX_BYTES ? TOK_FILE_MAX : TITAN_SPM_MAX_BYTES,
        &data, &size));
    titan_status st = titan_tokenizer_load(a, data, size, t);
    if (st != TITAN_OK) return titan_fail_in(st, "%s", path);
    if (blob) *blob = data;
    if (len) *len = size;
    return TITAN_OK;
}
