/* train_run.c: the run record a checkpoint carries (see train_run.h). The
 * record is {"flags": {NAME: TEXT, ...}, "train_seconds": S, "best_val": V,
 * "best_step": N}: each recorded flag under its first name, as text that
 * cli_flag_set reads back (cli_flag_text). */
#include "tools/train/train_run.h"

#include "formats/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The flag's first name ("-o|--out" -> "-o"), into name[cap]. */
static void first_name(const cli_flag *f, char *name, size_t cap) {
    size_t n = strcspn(f->names, "|");
    snprintf(name, cap, "%.*s", (int)n, f->names);
}

/* Is the flag's first name in the "|"-separated list? */
static bool listed(const char *list, const cli_flag *f) {
    char name[64];
    first_name(f, name, sizeof name);
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        size_t k = strcspn(p, "|");
        if (k == n && !strncmp(p, name, n)) return true;
        p += k + (p[k] == '|');
    }
    return false;
}

/* The flag's value as text after setting it from `text` (its own value is
 * kept): how the record's value reads in this build. */
static int text_of(const char *cmd, const cli_flag *f, const char *text, char *out,
                   size_t cap) {
    union {
        int64_t i;
        double d;
        const char *s;
        bool b;
    } v;
    cli_flag tmp = *f;
    tmp.dst = &v;
    memset(&v, 0, sizeof v);
    int rc = cli_flag_set(cmd, &tmp, text);
    if (rc == CLI_EXIT_OK) cli_flag_text(&tmp, out, cap);
    return rc;
}

/* Both paths name the same file: the same text, or the same inode. */
static bool same_path(const char *a, const char *b) {
    if (!strcmp(a, b)) return true;
    char ra[4096], rb[4096];
    return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

static int apply_flag(const char *cmd, const train_flags *t, int i, const char *text) {
    const cli_flag *f = &t->flags[i];
    if (!t->seen[i]) return cli_flag_set(cmd, f, text);
    if (t->override || listed(t->session, f)) return CLI_EXIT_OK;
    char given[4096], recorded[4096], name[64];
    cli_flag_text(f, given, sizeof given);
    if (text_of(cmd, f, text, recorded, sizeof recorded)) return CLI_EXIT_USAGE;
    bool same =
        listed(t->paths, f) ? same_path(given, recorded) : !strcmp(given, recorded);
    if (same) return CLI_EXIT_OK;
    first_name(f, name, sizeof name);
    return cli_usage(cmd,
                     "%s %s: the checkpoint's run has %s %s (a resumed run keeps its "
                     "flags; leave %s out)",
                     name, given, name, *recorded ? recorded : "unset", name);
}

static double number_or(const json_value *root, const char *key, double dflt) {
    const json_value *v = json_get(root, key);
    return v && v->type == JSON_NUMBER ? v->number : dflt;
}

int train_run_apply(const char *cmd, const train_flags *t, const char *record,
                    train_progress *p, titan_arena *a) {
    *p = (train_progress){0, NAN, 0};
    *a = (titan_arena){0};
    if (!record) return CLI_EXIT_OK;
    size_t len = strlen(record);
    if (cli_arena_create(a, 8 * len + 4096) != TITAN_OK) return CLI_EXIT_FAIL;
    const json_value *root = NULL, *flags = NULL;
    titan_status st = json_parse(a, record, len, NULL, &root);
    if (st == TITAN_OK) flags = json_get(root, "flags");
    int rc = CLI_EXIT_OK;
    if (st != TITAN_OK || !flags || flags->type != JSON_OBJECT) {
        fprintf(stderr, "%s: the checkpoint's run record is damaged\n", cmd);
        rc = CLI_EXIT_FAIL;
    }
    for (const json_value *m = flags ? flags->child : NULL; !rc && m; m = m->next) {
        int i = 0;
        char name[64];
        for (; i < t->n; i++) {
            first_name(&t->flags[i], name, sizeof name);
            if (json_key_is(m, name)) break;
        }
        if (i == t->n || m->type != JSON_STRING || listed(t->unkept, &t->flags[i])) {
            fprintf(stderr, "%s: the checkpoint's run record has flag %s, unknown here\n",
                    cmd, m->key);
            rc = CLI_EXIT_FAIL;
        } else {
            rc = apply_flag(cmd, t, i, m->str);
        }
    }
    if (!rc) {
        p->train_seconds = number_or(root, "train_seconds", 0);
        p->best_val = number_or(root, "best_val", NAN);
        p->best_step = (int64_t)number_or(root, "best_step", 0);
    }
    return rc;
}

static void write_record(json_writer *w, const train_flags *t, const train_progress *p,
                         const char *cwd) {
    char name[64], text[4096];
    json_begin_object(w);
    json_key(w, "flags");
    json_begin_object(w);
    for (int i = 0; i < t->n; i++) {
        const cli_flag *f = &t->flags[i];
        if (listed(t->unkept, f)) continue;
        if (f->kind == FLAG_STR && !*(const char **)f->dst) continue; /* unset */
        first_name(f, name, sizeof name);
        cli_flag_text(f, text, sizeof text);
        if (listed(t->paths, f) && *text != '/') /* as seen from anywhere */
            snprintf(text, sizeof text, "%s/%s", cwd, *(const char **)f->dst);
        json_key(w, name);
        json_string(w, text, strlen(text));
    }
    json_end_object(w);
    json_key(w, "train_seconds");
    json_double(w, p->train_seconds);
    if (isfinite(p->best_val)) {
        json_key(w, "best_val");
        json_double(w, p->best_val);
        json_key(w, "best_step");
        json_int(w, p->best_step);
    }
    json_end_object(w);
}

char *train_run_record(const train_flags *t, const train_progress *p) {
    json_writer w;
    size_t len;
    char cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) return NULL;
    json_writer_init(&w, NULL, 0);
    write_record(&w, t, p, cwd);
    if (json_writer_finish(&w, &len) != TITAN_OK) return NULL;
    char *buf = malloc(len + 1);
    if (!buf) return NULL;
    json_writer_init(&w, buf, len + 1);
    write_record(&w, t, p, cwd);
    if (json_writer_finish(&w, &len) != TITAN_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}
