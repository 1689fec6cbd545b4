/* progress.c: a one-line progress meter with rate and ETA, terminal only. */
#include "tools/cli/cli.h"

#include <time.h>
#include <unistd.h>

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cli_progress_start(cli_progress *p, const char *label, const char *unit) {
    p->label = label;
    p->unit = unit;
    p->start = cli_now();
    p->last = 0;
    p->scale = 1;
    p->shown = false;
    p->on = isatty(STDERR_FILENO);
}

void cli_progress_update(cli_progress *p, double done, double total) {
    if (!p->on) return;
    double now = cli_now();
    if (now - p->last < 0.2 && done < total) return;
    p->last = now;
    p->shown = true;
    double rate = done / (now - p->start + 1e-9);
    double eta = rate > 0 && total > done ? (total - done) / rate : 0;
    int digits = p->scale > 1 ? 1 : 0;
    fprintf(stderr, "\r%s: %.*f/%.*f %s  %.1f %s/s  ETA %02d:%02d  ", p->label, digits,
            done / p->scale, digits, total / p->scale, p->unit, rate / p->scale, p->unit,
            (int)eta / 60, (int)eta % 60);
    fflush(stderr);
}

void cli_progress_end(cli_progress *p) {
    if (p->on && p->shown) fprintf(stderr, "\n");
    p->shown = false;
}

void cli_progress_fn(void *user, double done, double total) {
    cli_progress_update(user, done, total);
}

titan_progress cli_progress_hook(cli_progress *p) {
    return (titan_progress){cli_progress_fn, p};
}
