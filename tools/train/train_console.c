/* train_console.c: the trainer's console lines (see train_console.h). */
#include "tools/train/train_console.h"

#include "tools/cli/cli.h"

#include <math.h>
#include <stdio.h>

const char *train_console_count(double n, char buf[32]) {
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%.0f", n < 0 ? 0 : n), at = 0;
    for (int i = 0; i < len && at < 30; i++) {
        if (i && (len - i) % 3 == 0) buf[at++] = ',';
        buf[at++] = digits[i];
    }
    buf[at] = 0;
    return buf;
}

const char *train_console_time(double seconds, char buf[32]) {
    long s = isfinite(seconds) && seconds > 0 ? lround(seconds) : 0;
    snprintf(buf, 32, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    return buf;
}

void train_console_step(const train_console *c, int64_t step, int64_t steps, double loss,
                        double val, double lr, double tokens_per_s, double left_s) {
    char rate[32], spent[32], left[32], vtext[48] = "";
    int width = snprintf(NULL, 0, "%lld", (long long)steps);
    if (!isnan(val)) snprintf(vtext, sizeof vtext, "  %s %.4f", c->val_name, val);
    printf("step %*lld/%lld  loss %.4f%s  lr %.2e  tok/s %s  %s elapsed  %s left\n",
           width, (long long)step, (long long)steps, loss, vtext, lr,
           train_console_count(tokens_per_s, rate),
           train_console_time(cli_now() - c->start, spent),
           train_console_time(left_s, left));
    fflush(stdout);
}

void train_console_summary(const train_console *c, int64_t step, const char *why) {
    char tokens[32], rate[32], spent[32];
    double wall = cli_now() - c->start;
    if (why) printf("stopped at step %lld: %s\n", (long long)step, why);
    printf("done: %lld steps", (long long)(step - c->step0));
    if (c->step0) printf(" (resumed at step %lld)", (long long)c->step0);
    printf(
        ", %s tokens in %s (%s tok/s)", train_console_count(c->tokens, tokens),
        train_console_time(wall, spent),
        train_console_count(c->step_seconds > 0 ? c->tokens / c->step_seconds : 0, rate));
    if (!isnan(c->best_val))
        printf("; %s best %.4f at step %lld", c->val_name, c->best_val,
               (long long)c->best_step);
    if (!isnan(c->last_val))
        printf(", last %.4f at step %lld", c->last_val, (long long)c->last_step);
    printf("\n");
    fflush(stdout);
}
