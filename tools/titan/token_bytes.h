/* token_bytes.h: the byte table val_bpb divides by (SPEC section 3), for
 * titan eval and titan serve's /v1/score. */
#ifndef TITAN_TOOLS_TOKEN_BYTES_H
#define TITAN_TOOLS_TOKEN_BYTES_H

#include "titan.h"

/* The exact bytes of each token of tok (its SentencePiece model's rule, or
 * every token's own bytes, carved from ar: titan_tokenizer_size x 4 bytes). */
TITAN_NODISCARD titan_status token_byte_table(titan_arena *ar, const titan_tokenizer *tok,
                                              titan_byte_table *out);

#endif
