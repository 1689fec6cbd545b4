/* cmd_plot.c: `titan-train plot LOG.jsonl -o PLOT.svg`: training loss and
 * val_bpb against the step, two panels of one SVG. */
#include "formats/json.h"
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/train/train_commands.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "titan-train plot LOG.jsonl -o PLOT.svg\n"
                            "  training loss and val_bpb against the step, as an SVG\n"
                            "example: titan-train plot run.jsonl -o run.svg";

typedef struct {
    double *x, *y;
    size_t n, cap;
} series;

static int series_add(series *s, double x, double y) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        double *nx = realloc(s->x, cap * sizeof *nx);
        if (nx) s->x = nx;
        double *ny = nx ? realloc(s->y, cap * sizeof *ny) : NULL;
        if (!ny) return -1;
        s->y = ny;
        s->cap = cap;
    }
    s->x[s->n] = x;
    s->y[s->n++] = y;
    return 0;
}

static double number(const json_value *row, const char *key) {
    const json_value *v = row ? json_get(row, key) : NULL;
    return v && v->type == JSON_NUMBER ? v->number : NAN;
}

/* Every line: a JSON object with "step" and "loss", maybe "val_bpb". */
static titan_status read_log(const char *path, series *loss, series *bpb) {
    titan_arena a;
    size_t size;
    uint8_t *text;
    TITAN_TRY(titan_file_size(path, &size));
    TITAN_TRY(cli_arena_create(&a, 2 * size + (1 << 20)));
    titan_status st = titan_file_read(&a, path, size, &text, &size);
    size_t line = 0;
    for (size_t i = 0; st == TITAN_OK && i < size; line++) {
        size_t j = i;
        while (j < size && text[j] != '\n') j++;
        size_t mark = titan_arena_mark(&a);
        const json_value *row = NULL;
        if (j > i) st = json_parse(&a, (const char *)text + i, j - i, NULL, &row);
        double step = number(row, "step"), l = number(row, "loss"),
               v = number(row, "val_bpb");
        if (st == TITAN_OK && row && (!isfinite(step) || !isfinite(l)))
            st =
                titan_fail(TITAN_E_DATA, "%s line %zu: no step and loss", path, line + 1);
        if (st == TITAN_OK && row &&
            (series_add(loss, step, l) || (isfinite(v) && series_add(bpb, step, v))))
            st = titan_fail(TITAN_E_NOMEM, "%s: out of memory", path);
        if (st != TITAN_OK && !strstr(titan_last_error(), "line"))
            st = titan_fail_in(st, "%s line %zu", path, line + 1);
        titan_arena_reset(&a, mark);
        i = j + 1;
    }
    cli_arena_destroy(&a);
    if (st == TITAN_OK && loss->n == 0)
        st = titan_fail(TITAN_E_DATA, "%s: no log rows", path);
    return st;
}

static void range(const series *s, double *lo, double *hi, int of_y) {
    const double *v = of_y ? s->y : s->x;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < s->n; i++) {
        *lo = fmin(*lo, v[i]);
        *hi = fmax(*hi, v[i]);
    }
    if (*hi - *lo < 1e-12) {
        *lo -= 0.5;
        *hi += 0.5;
    }
}

enum { W = 900, PANEL_H = 300, LEFT = 70, RIGHT = 20, TOP = 30, BOTTOM = 40 };

/* One panel at vertical offset y0: frame, 5 ticks per axis, the curve. */
static void panel(FILE *f, const series *s, double x_lo, double x_hi, int y0,
                  const char *title, const char *color) {
    double y_lo, y_hi;
    range(s, &y_lo, &y_hi, 1);
    int pw = W - LEFT - RIGHT, ph = PANEL_H - TOP - BOTTOM;
    fprintf(f, "<text x='%d' y='%d' font-size='15'>%s</text>\n", LEFT, y0 + 20, title);
    fprintf(f,
            "<rect x='%d' y='%d' width='%d' height='%d' fill='none' "
            "stroke='#444'/>\n",
            LEFT, y0 + TOP, pw, ph);
    for (int k = 0; k <= 4; k++) {
        double fx = x_lo + (x_hi - x_lo) * k / 4, fy = y_lo + (y_hi - y_lo) * k / 4;
        int px = LEFT + pw * k / 4, py = y0 + TOP + ph - ph * k / 4;
        fprintf(f,
                "<text x='%d' y='%d' font-size='11' text-anchor='middle'>%.0f"
                "</text>\n",
                px, y0 + TOP + ph + 15, fx);
        fprintf(f,
                "<text x='%d' y='%d' font-size='11' text-anchor='end'>%.3f"
                "</text>\n",
                LEFT - 5, py + 4, fy);
        fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#ddd'/>\n", LEFT, py,
                LEFT + pw, py);
    }
    fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='", color);
    for (size_t i = 0; i < s->n; i++)
        fprintf(f, "%.1f,%.1f ", LEFT + pw * (s->x[i] - x_lo) / (x_hi - x_lo),
                y0 + TOP + ph - ph * (s->y[i] - y_lo) / (y_hi - y_lo));
    fprintf(f,
            "'/>\n<text x='%d' y='%d' font-size='11' text-anchor='middle'>step"
            "</text>\n",
            LEFT + pw / 2, y0 + PANEL_H - 5);
}

static titan_status write_svg(const char *path, const series *loss, const series *bpb) {
    FILE *f = fopen(path, "w");
    if (!f) return titan_fail(TITAN_E_IO, "cannot write %s: %s", path, strerror(errno));
    errno = 0;
    double x_lo, x_hi;
    range(loss, &x_lo, &x_hi, 0);
    int panels = bpb->n ? 2 : 1;
    fprintf(f,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
            "font-family='sans-serif'>\n<rect width='100%%' height='100%%' "
            "fill='white'/>\n",
            W, PANEL_H * panels);
    panel(f, loss, x_lo, x_hi, 0, "training loss (MTP-weighted)", "#1f77b4");
    if (bpb->n) panel(f, bpb, x_lo, x_hi, PANEL_H, "val_bpb", "#d62728");
    fprintf(f, "</svg>\n");
    int bad = ferror(f), err = errno;
    if (fclose(f) && !bad) bad = 1, err = errno;
    if (bad)
        return titan_fail(TITAN_E_IO, "cannot write %s: %s", path,
                          err ? strerror(err) : "write error");
    return TITAN_OK;
}

int train_cmd_plot(int argc, char **argv) {
    const char *out = NULL;
    char *pos[1];
    const cli_flag flags[] = {{CLI_OUT, FLAG_STR, &out, 0, 0, "SVG to write"}};
    int npos, rc = cli_parse(argc, argv, usage, flags, pos, 1, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (npos != 1 || !out) return cli_usage(argv[0], "need LOG.jsonl and -o PLOT.svg");
    const char *outputs[] = {out};
    if ((rc = cli_outputs_check(argv[0], outputs, 1))) return rc;
    series loss = {0}, bpb = {0};
    titan_status st = read_log(pos[0], &loss, &bpb);
    if (st == TITAN_OK) st = write_svg(out, &loss, &bpb);
    free(loss.x);
    free(loss.y);
    free(bpb.x);
    free(bpb.y);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    cli_wrote(false, out, "%zu loss and %zu val_bpb points", loss.n, bpb.n);
    return CLI_EXIT_OK;
}
