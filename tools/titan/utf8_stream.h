/* utf8_stream.h: a byte stream made valid UTF-8 as it goes: well-formed
 * sequences pass, every byte of an ill-formed one becomes U+FFFD. Token
 * bytes may split a character, so the state spans calls (titan run's JSON
 * text, titan serve's responses and their streamed chunks). */
#ifndef TITAN_TOOLS_UTF8_STREAM_H
#define TITAN_TOOLS_UTF8_STREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t seq[4];
    int have, want;
} utf8_stream;

/* Most bytes one call below writes. */
#define UTF8_STREAM_OUT 16

/* Feed byte b; writes the valid UTF-8 it completes to out, returns its length. */
size_t utf8_stream_byte(utf8_stream *u, uint8_t b, uint8_t out[UTF8_STREAM_OUT]);

/* End of stream: an unfinished sequence's bytes, each as U+FFFD. */
size_t utf8_stream_flush(utf8_stream *u, uint8_t out[UTF8_STREAM_OUT]);

#endif
