/* train_log.c: the JSONL training log (see train_log.h). */
#include "tools/train/train_log.h"

#include "formats/json.h"
#include "platform/file.h"
#include "tools/cli/cli.h"

#include <errno.h>
#include <string.h>

/* Length of the prefix of text[0..size) whose rows have step <= last: rows
 * are written in step order, so the first row past it (or a line that is
 * not a whole row: a run killed while writing) ends the prefix. */
static size_t kept_prefix(titan_arena *a, const char *text, size_t size, int64_t last,
                          int64_t *rows) {
    size_t i = 0;
    *rows = 0;
    while (i < size) {
        const char *nl = memchr(text + i, '\n', size - i);
        if (!nl) break; /* torn last line */
        size_t mark = titan_arena_mark(a), len = (size_t)(nl - text) - i;
        const json_value *row = NULL, *step = NULL;
        if (json_parse(a, text + i, len, NULL, &row) == TITAN_OK)
            step = json_get(row, "step");
        bool keep =
            step && step->type == JSON_NUMBER && step->is_int && step->integer <= last;
        titan_arena_reset(a, mark);
        if (!keep) break;
        i += len + 1;
        (*rows)++;
    }
    return i;
}

/* Rewrite the log as its rows up to step `last`. */
static titan_status cut_back(train_log *l, int64_t last) {
    size_t size;
    if (titan_file_size(l->path, &size) != TITAN_OK) return TITAN_OK; /* none yet */
    titan_arena a;
    uint8_t *text;
    TITAN_TRY(cli_arena_create(&a, 2 * size + (1 << 20)));
    titan_status st = titan_file_read(&a, l->path, size, &text, &size);
    if (st == TITAN_OK) {
        size_t keep = kept_prefix(&a, (const char *)text, size, last, &l->rows);
        if (keep < size) st = titan_file_write_atomic(l->path, text, keep);
    }
    cli_arena_destroy(&a);
    return st;
}

titan_status train_log_open(train_log *l, const char *path, int64_t resume_step) {
    *l = (train_log){.path = path};
    if (!path) return TITAN_OK;
    if (resume_step >= 0) TITAN_TRY(cut_back(l, resume_step));
    if (!(l->f = fopen(path, resume_step >= 0 ? "a" : "w")))
        return titan_fail(TITAN_E_IO, "cannot write %s: %s", path, strerror(errno));
    return TITAN_OK;
}

titan_status train_log_row(train_log *l, const char *row, size_t len) {
    if (!l->f) return TITAN_OK;
    errno = 0;
    if (fwrite(row, 1, len, l->f) != len || fputc('\n', l->f) == EOF || fflush(l->f) != 0)
        return titan_fail(TITAN_E_IO, "cannot write %s: %s", l->path,
                          errno ? strerror(errno) : "write error");
    l->rows++;
    return TITAN_OK;
}

titan_status train_log_close(train_log *l) {
    if (!l->f) return TITAN_OK;
    bool bad = ferror(l->f) != 0;
    int err = errno;
    if (fclose(l->f) != 0 && !bad) bad = true, err = errno;
    l->f = NULL;
    return bad ? titan_fail(TITAN_E_IO, "cannot write %s: %s", l->path, strerror(err))
               : TITAN_OK;
}
