/* tok_io.h: what `titan tokenize` and `titan detokenize` share: finding the
 * tokenizer (-m ART or --tokenizer TOK) and reading a whole input. */
#ifndef TITAN_TOOLS_TOK_IO_H
#define TITAN_TOOLS_TOK_IO_H

#include "titan.h"

/* Load the tokenizer of artifact `model` or of TOK file `tok_path` (exactly one
 * non-NULL) into a fresh process arena *a. Returns an exit code, with the
 * message printed. */
int tok_io_load(const char *cmd, const char *model, const char *tok_path,
                titan_arena *a, const titan_tokenizer **t);

/* Read all of `path` (stdin when NULL) into a malloc'd *data (free it), with
 * a NUL after the last byte (not counted in *len).
 * Returns an exit code, with the message printed. */
int tok_io_read(const char *cmd, const char *path, uint8_t **data, size_t *len);

#endif
