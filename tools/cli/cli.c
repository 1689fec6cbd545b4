/* cli.c: flag parsing, number parsing and error reporting for the tools. */
#include "tools/cli/cli.h"

#include "formats/json.h"
#include "platform/file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool cli_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool parse_real(const char *s, double lo, double hi, double *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= lo && v <= hi)) return false;
    *out = v;
    return true;
}

int cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try --help)\n");
    return CLI_EXIT_USAGE;
}

int cli_fail(const char *cmd, titan_status st) {
    const char *msg = titan_last_error();
    fprintf(stderr, "%s: %s\n", cmd, *msg ? msg : titan_status_string(st));
    return st == TITAN_E_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

/* Does arg name this flag? names is "-m|--model". */
static bool flag_matches(const char *names, const char *arg, size_t arglen) {
    const char *p = names;
    while (*p) {
        size_t n = strcspn(p, "|");
        if (n == arglen && !strncmp(p, arg, n)) return true;
        p += n + (p[n] == '|');
    }
    return false;
}

/* Usage lines, the flags, then the examples (usage from "\nexample:" on). */
static void print_help(const char *usage, const cli_flag *flags, int nflags) {
    const char *ex = strstr(usage, "\nexample:");
    int head = ex ? (int)(ex - usage) : (int)strlen(usage);
    printf("usage: %.*s\n", head, usage);
    int width = 0;
    for (int i = 0; i < nflags; i++) {
        int n = (int)strlen(flags[i].names);
        if (n > width && n <= 28) width = n;
    }
    for (int i = 0; i < nflags; i++) {
        if ((int)strlen(flags[i].names) > width)
            printf("  %s\n  %-*s %s\n", flags[i].names, width, "", flags[i].help);
        else
            printf("  %-*s %s\n", width, flags[i].names, flags[i].help);
    }
    if (ex) printf("%s\n", ex);
}

int cli_flag_set(const char *cmd, const cli_flag *f, const char *val) {
    int64_t iv;
    switch (f->kind) {
    case FLAG_BOOL: /* given bare (val NULL), or as text from cli_flag_text */
        if (val && strcmp(val, "true") && strcmp(val, "false"))
            return cli_usage(cmd, "%s: '%s' is not true or false", f->names, val);
        *(bool *)f->dst = !val || !strcmp(val, "true");
        return CLI_EXIT_OK;
    case FLAG_STR: *(const char **)f->dst = val; return CLI_EXIT_OK;
    case FLAG_INT:
        if (!cli_parse_int(val, (int64_t)f->lo, (int64_t)f->hi, &iv))
            return cli_usage(cmd, "%s: '%s' is not an integer in [%.0f, %.0f]", f->names,
                             val, f->lo, f->hi);
        *(int64_t *)f->dst = iv;
        return CLI_EXIT_OK;
    case FLAG_REAL:
        if (!parse_real(val, f->lo, f->hi, (double *)f->dst))
            return cli_usage(cmd, "%s: '%s' is not a number in [%g, %g]", f->names, val,
                             f->lo, f->hi);
        return CLI_EXIT_OK;
    }
    return CLI_EXIT_USAGE;
}

int cli_parse_seen(int argc, char **argv, const char *usage, const cli_flag *flags,
                   int nflags, char **pos, int max_pos, int *npos, bool *seen) {
    const char *cmd = argv[0];
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (arg[0] != '-' || !arg[1]) {
            if (*npos >= max_pos) return cli_usage(cmd, "unexpected argument '%s'", arg);
            pos[(*npos)++] = arg;
            continue;
        }
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            print_help(usage, flags, nflags);
            return -1;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);
        const cli_flag *f = NULL;
        for (int k = 0; k < nflags && !f; k++)
            if (flag_matches(flags[k].names, arg, len)) f = &flags[k];
        if (!f) return cli_usage(cmd, "unknown option '%s'", arg);
        const char *val = NULL;
        if (f->kind != FLAG_BOOL) {
            if (eq && arg[1] == '-')
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return cli_usage(cmd, "%s needs a value", arg);
        } else if (eq && arg[1] == '-') {
            return cli_usage(cmd, "%.*s takes no value", (int)len, arg);
        }
        int rc = cli_flag_set(cmd, f, val);
        if (rc != CLI_EXIT_OK) return rc;
        if (seen) seen[f - flags] = true;
    }
    return CLI_EXIT_OK;
}

int cli_parse_table(int argc, char **argv, const char *usage, const cli_flag *flags,
                    int nflags, char **pos, int max_pos, int *npos) {
    return cli_parse_seen(argc, argv, usage, flags, nflags, pos, max_pos, npos, NULL);
}

void cli_flag_text(const cli_flag *f, char *buf, size_t cap) {
    switch (f->kind) {
    case FLAG_BOOL: snprintf(buf, cap, "%s", *(bool *)f->dst ? "true" : "false"); break;
    case FLAG_STR: {
        const char *s = *(const char **)f->dst;
        snprintf(buf, cap, "%s", s ? s : "");
        break;
    }
    case FLAG_INT: snprintf(buf, cap, "%" PRId64, *(int64_t *)f->dst); break;
    case FLAG_REAL: {
        char text[JSON_DOUBLE_TEXT];
        json_double_text(*(double *)f->dst, text);
        snprintf(buf, cap, "%s", text);
        break;
    }
    }
}

titan_status cli_output_check(const char *path) {
    struct stat st;
    if (!path || !*path) return titan_fail(TITAN_E_USAGE, "cannot write an empty path");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return titan_fail(TITAN_E_IO, "cannot write %s: it is a directory", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) return TITAN_OK; /* a device */
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if ((size_t)(slash - path) >= sizeof dir)
        return titan_fail(TITAN_E_IO, "cannot write %s: path too long", path);
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (stat(dir, &st) != 0)
        return titan_fail(TITAN_E_IO, "cannot write %s: directory %s: %s", path, dir,
                          strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return titan_fail(TITAN_E_IO, "cannot write %s: %s is not a directory", path,
                          dir);
    if (access(dir, W_OK | X_OK) != 0)
        return titan_fail(TITAN_E_IO, "cannot write %s: directory %s: %s", path, dir,
                          strerror(errno));
    return TITAN_OK;
}

int cli_outputs_check(const char *cmd, const char *const *paths, int n) {
    for (int i = 0; i < n; i++) {
        if (!paths[i]) continue;
        for (int j = 0; j < i; j++)
            if (paths[j] && !strcmp(paths[i], paths[j]))
                return cli_usage(cmd, "%s is named as two outputs", paths[i]);
        titan_status st = cli_output_check(paths[i]);
        if (st != TITAN_OK) return cli_fail(cmd, st);
    }
    return CLI_EXIT_OK;
}

titan_status cli_config_write(const char *path, const titan_config *c) {
    size_t len;
    TITAN_TRY(titan_config_to_json(c, NULL, 0, &len));
    char *json = malloc(len + 1);
    if (!json) return titan_fail(TITAN_E_NOMEM, "out of memory");
    titan_status st = titan_config_to_json(c, json, len + 1, &len);
    if (st == TITAN_OK) st = titan_file_write_atomic(path, json, len);
    free(json);
    return st;
}

void cli_wrote(bool to_stderr, const char *path, const char *fmt, ...) {
    FILE *f = to_stderr ? stderr : stdout;
    va_list ap;
    fprintf(f, "wrote %s: ", path);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}

titan_status cli_arena_create(titan_arena *a, size_t bytes) {
    size_t rounded = (bytes + 4095) & ~(size_t)4095;
    if (rounded < bytes) return TITAN_E_NOMEM;
    void *buf = rounded ? aligned_alloc(4096, rounded) : NULL;
    if (rounded && !buf) {
        fprintf(stderr, "cannot allocate a %zu-byte arena\n", rounded);
        return TITAN_E_NOMEM;
    }
    titan_arena_init(a, buf, rounded);
    if (!buf) a->cap = 0;
    return TITAN_OK;
}

void cli_arena_destroy(titan_arena *a) {
    free(a->base);
    a->base = NULL;
}

void cli_join(const char *const *words, const char *sep, char *out, size_t cap) {
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; words[i] && at < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s%s", i ? sep : "", words[i]);
}
