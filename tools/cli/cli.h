/* cli.h: what every command-line front end shares: flag tables, strict number
 * parsing, error reporting with exit codes, the process arena, progress lines.
 * Only tools/ prints and exits; the library reports through titan_status. */
#ifndef TITAN_TOOLS_CLI_H
#define TITAN_TOOLS_CLI_H

#include "titan.h"

#include <stdbool.h>
#include <stdio.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* Limits of the flags several commands share: the same flag takes the same
 * values everywhere (a command may use fewer, e.g. one thread pool's 64). */
#define CLI_THREADS_MAX 256
#define CLI_SEED_MAX    9007199254740991.0 /* 2^53 - 1: exact in JSON */
#define CLI_CTX_MAX     16777216.0         /* 2^24 tokens */
#define CLI_BYTES_MAX   9.2e18             /* --budget and other byte counts */
/* The output flag: one spelling in every command (--out and --output both
 * name it, as older scripts use either). */
#define CLI_OUT "-o|--output|--out"

typedef enum { FLAG_BOOL, FLAG_STR, FLAG_INT, FLAG_REAL } cli_flag_kind;

/* One flag. names: "-m|--model" (alternatives split by '|'). For FLAG_INT the
 * value goes to an int64_t, for FLAG_REAL to a double, both checked against
 * [lo, hi]; FLAG_STR stores the argv pointer; FLAG_BOOL stores true. */
typedef struct {
    const char *names;
    cli_flag_kind kind;
    void *dst;
    double lo, hi;
    const char *help;
} cli_flag;

/* Parse argv[0..argc) (argv[0] is the command name) by the table flags[]
 * (an array: its size is taken here). Positional arguments go to
 * pos[0..max_pos); *npos receives their count. Returns CLI_EXIT_OK, or prints a
 * message and returns CLI_EXIT_USAGE. "--help" prints usage and returns -1:
 * the usage text's first lines, the flags, then its lines from the first that
 * starts with "example:" (every command has one). */
#define cli_parse(argc, argv, usage, flags, pos, max_pos, npos)                          \
    cli_parse_table(argc, argv, usage, flags, CLI_ARRAY_LEN(flags), pos, max_pos, npos)

/* Entries of an array; a pointer does not compile. */
#define CLI_ARRAY_LEN(a)                                                                 \
    ((int)(sizeof(a) / sizeof((a)[0]) +                                                  \
           0 * sizeof(struct {                                                           \
               _Static_assert(                                                           \
                   !__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])),    \
                   "an array, not a pointer");                                           \
               int unused;                                                               \
           })))
int cli_parse_table(int argc, char **argv, const char *usage, const cli_flag *flags,
                    int nflags, char **pos, int max_pos, int *npos);
/* The same, and seen[i] (nflags entries) tells whether flags[i] was given. */
int cli_parse_seen(int argc, char **argv, const char *usage, const cli_flag *flags,
                   int nflags, char **pos, int max_pos, int *npos, bool *seen);

/* Set a flag's destination from text, with the checks parsing makes (exit
 * code CLI_EXIT_OK, or CLI_EXIT_USAGE after a message). */
int cli_flag_set(const char *cmd, const cli_flag *f, const char *val);

/* A flag's current value as text that cli_flag_set reads back to the same
 * value (integers in decimal, reals in the shortest exact form, strings as
 * they are, "" for an unset string, "true"/"false"). */
void cli_flag_text(const cli_flag *f, char *buf, size_t cap);

/* After cli_parse (or a wrapper with its contract): return from the command
 * when parsing ended it, with exit code 0 for --help and the error's code. */
#define CLI_RETURN_IF_DONE(rc)                                                           \
    do {                                                                                 \
        if (rc) return (rc) < 0 ? CLI_EXIT_OK : (rc);                                    \
    } while (0)

/* A subcommand of a front end; fn gets argv[0] = "PROG NAME". */
typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} cli_command;

/* Run the command argv[1] names, or print the command list (exit code 2 for a
 * missing or unknown command). */
int cli_dispatch(const char *prog, const cli_command *cmds, size_t n, int argc,
                 char **argv);

/* Report a failed library call: "titan CMD: <message>" on stderr; returns the
 * exit code for the status (usage errors 2, everything else 1). */
int cli_fail(const char *cmd, titan_status st);

/* Report a usage error of a command and return CLI_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An output path is checked before any work: its directory exists and is
 * writable and the path is not a directory (devices such as /dev/null pass).
 * TITAN_E_IO with "cannot write PATH: REASON" otherwise. */
TITAN_NODISCARD titan_status cli_output_check(const char *path);

/* The same for several paths (NULL entries are skipped, and so is a path
 * given twice): an exit code, after "CMD: cannot write ..." when one fails. */
int cli_outputs_check(const char *cmd, const char *const *paths, int n);

/* "wrote PATH: WHAT" after a command wrote a file: on stdout, or on stderr
 * when stdout carries the command's data (json). */
void cli_wrote(bool to_stderr, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What a file is, from its first bytes (file_kind.c). */
typedef enum {
    CLI_KIND_MISSING,
    CLI_KIND_DIRECTORY,
    CLI_KIND_EMPTY,
    CLI_KIND_ARTIFACT,
    CLI_KIND_TOKENIZER,
    CLI_KIND_CHECKPOINT,
    CLI_KIND_SAFETENSORS,
    CLI_KIND_SPM,
    CLI_KIND_SHARD,
    CLI_KIND_JSON,
    CLI_KIND_TEXT,
    CLI_KIND_OTHER,
} cli_kind;
cli_kind cli_file_kind(const char *path);
const char *cli_kind_name(cli_kind k); /* "a Titan artifact", "empty", ... */

/* After a load of path as `want` failed with st: when the file is plainly
 * something else (or empty), the message says that instead ("X is a text
 * file, not a SentencePiece model"); st is returned either way. */
TITAN_NODISCARD titan_status cli_kind_explain(titan_status st, const char *path,
                                              cli_kind want);

/* Write config c as JSON (titan_config_to_json) to path, atomically. */
TITAN_NODISCARD titan_status cli_config_write(const char *path, const titan_config *c);

/* Join the NULL-terminated words with sep into out[0..cap) (cut if too long). */
void cli_join(const char *const *words, const char *sep, char *out, size_t cap);

/* Strict integer parse of all of s into [lo, hi]. */
bool cli_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);

/* The process arena: one page-aligned block from the heap, made before the
 * runtime starts (the only heap use run and eval make). */
TITAN_NODISCARD titan_status cli_arena_create(titan_arena *a, size_t bytes);
void cli_arena_destroy(titan_arena *a);

/* Progress on a terminal (stderr): "label: done/total  rate unit/s  ETA".
 * Silent when stderr is not a terminal. Values are shown divided by scale
 * (1 unless set, e.g. 1e6 with unit "MB" for bytes). */
typedef struct {
    const char *label, *unit;
    double start, last, scale;
    bool on, shown;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *label, const char *unit);
void cli_progress_update(cli_progress *p, double done, double total);
void cli_progress_end(cli_progress *p);
/* As a titan_progress callback: user is the cli_progress. */
void cli_progress_fn(void *user, double done, double total);
/* A titan_progress that drives p. */
titan_progress cli_progress_hook(cli_progress *p);

/* Seconds from a monotonic clock. */
double cli_now(void);

#endif
