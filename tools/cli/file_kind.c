/* file_kind.c: what a file is, from its first bytes, so that a load that
 * fails on the wrong kind of file says so (see cli.h). */
#include "tools/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const kind_names[] = {
    [CLI_KIND_MISSING] = "missing",
    [CLI_KIND_DIRECTORY] = "a directory",
    [CLI_KIND_EMPTY] = "empty",
    [CLI_KIND_ARTIFACT] = "a Titan artifact",
    [CLI_KIND_TOKENIZER] = "a Titan tokenizer (TOK) file",
    [CLI_KIND_CHECKPOINT] = "a titan-train checkpoint",
    [CLI_KIND_SAFETENSORS] = "a safetensors file",
    [CLI_KIND_SPM] = "a SentencePiece model",
    [CLI_KIND_SHARD] = "a parameter-golf token shard",
    [CLI_KIND_JSON] = "a JSON file",
    [CLI_KIND_TEXT] = "a text file",
    [CLI_KIND_OTHER] = "of an unknown kind",
};

const char *cli_kind_name(cli_kind k) { return kind_names[k]; }

/* Does b[0..n) contain the NUL-terminated word? */
static bool contains(const uint8_t *b, size_t n, const char *word) {
    size_t k = strlen(word);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(b + i, word, k)) return true;
    return false;
}

/* Printable text (UTF-8 or ASCII, with whitespace)? */
static bool looks_like_text(const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (b[i] < 0x20 && b[i] != '\n' && b[i] != '\r' && b[i] != '\t') return false;
    return true;
}

/* A checkpoint is a safetensors file whose JSON header says so; the mark may
 * follow a long tokenizer, so the whole header is read (up to 64 MB). */
static bool header_names_checkpoint(const char *path, const uint8_t *b, size_t n) {
    uint64_t len = 0;
    for (int i = 7; i >= 0; i--) len = len << 8 | b[i];
    if (len + 8 <= n || len > (64u << 20)) return contains(b, n, "titan-checkpoint");
    FILE *f = fopen(path, "rb");
    uint8_t *h = f ? malloc((size_t)len + 8) : NULL;
    bool yes = h && fread(h, 1, (size_t)len + 8, f) == len + 8 &&
               contains(h, (size_t)len + 8, "titan-checkpoint");
    free(h);
    if (f) fclose(f);
    return yes;
}

cli_kind cli_file_kind(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return CLI_KIND_MISSING;
    if (S_ISDIR(st.st_mode)) return CLI_KIND_DIRECTORY;
    if (S_ISREG(st.st_mode) && st.st_size == 0) return CLI_KIND_EMPTY;
    FILE *f = fopen(path, "rb");
    if (!f) return CLI_KIND_OTHER;
    uint8_t b[4096];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n >= 8 && !memcmp(b, "TITANART", 8)) return CLI_KIND_ARTIFACT;
    if (n >= 4 && !memcmp(b, "TTOK", 4)) return CLI_KIND_TOKENIZER;
    if (n >= 4 && b[0] == 0x28 && b[1] == 0x20 && b[2] == 0x35 && b[3] == 0x01)
        return CLI_KIND_SHARD;                   /* 20240520 little-endian */
    if (n >= 9 && b[8] == '{' && !b[6] && !b[7]) /* u64 header length, JSON */
        return header_names_checkpoint(path, b, n) ? CLI_KIND_CHECKPOINT
                                                   : CLI_KIND_SAFETENSORS;
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r')) i++;
    if (looks_like_text(b, n))
        return i < n && (b[i] == '{' || b[i] == '[') ? CLI_KIND_JSON : CLI_KIND_TEXT;
    if (n >= 2 && b[0] == 0x0a) return CLI_KIND_SPM; /* protobuf field 1, bytes */
    return CLI_KIND_OTHER;
}

/* A hint for a file of kind `got` given where `want` was expected. */
static const char *hint(cli_kind got, cli_kind want) {
    if (got == CLI_KIND_ARTIFACT && want == CLI_KIND_TOKENIZER)
        return " (titan export ART --safetensors W.safetensors writes its tokenizer "
               "as W.tok)";
    if (got == CLI_KIND_TOKENIZER && want == CLI_KIND_ARTIFACT)
        return " (an artifact holds a tokenizer; titan init/pack make one)";
    if (got == CLI_KIND_CHECKPOINT && want == CLI_KIND_ARTIFACT)
        return " (titan pack --ckpt CKPT -o ART makes an artifact of it)";
    if (got == CLI_KIND_CHECKPOINT && want == CLI_KIND_SAFETENSORS)
        return " (use --ckpt, or titan-train export CKPT -o W.safetensors)";
    return "";
}

titan_status cli_kind_explain(titan_status st, const char *path, cli_kind want) {
    if (st == TITAN_OK) return st;
    cli_kind got = cli_file_kind(path);
    if (got == want || got == CLI_KIND_OTHER || got == CLI_KIND_MISSING) return st;
    if (want == CLI_KIND_SAFETENSORS && got == CLI_KIND_CHECKPOINT)
        return st; /* a checkpoint is a safetensors file: its own message */
    if (want == CLI_KIND_TOKENIZER && got == CLI_KIND_SPM)
        return st; /* a SentencePiece model is a tokenizer: its own message */
    return titan_fail(st, "%s is %s, not %s%s", path, cli_kind_name(got),
                      cli_kind_name(want), hint(got, want));
}
