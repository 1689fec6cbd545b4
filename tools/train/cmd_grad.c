/* cmd_grad.c: `titan-train grad`: the SPEC training loss of one sequence (on
 * the full layer schedule: no step) and its gradient for every tensor,
 * written as float32 safetensors. */
#include "tools/cli/cli.h"
#include "tools/train/train_commands.h"
#include "tools/train/train_io.h"
#include "tools/train/xenith_model.h"

#include <stdlib.h>

static const char usage[] =
    "titan-train grad --safetensors W --config CFG.json --ids FILE "
    "-o GRADS.safetensors\n"
    "  the training loss of one sequence and its gradient for every tensor\n"
    "  (family xenith: SPEC section 9's loss, adapters included)\n"
    "example: titan-train grad --safetensors w.safetensors --config w.json --ids ids.txt "
    "-o grads.safetensors";

/* SPEC section 9's loss and gradients (xenith_model.h). */
static titan_status run_xenith(const titan_config *c, const char *wpath, const int *ids,
                               int T, const char *out) {
    titan_status st = TITAN_OK;
    train_xmodel m = {0};
    train_params w = {0}, g = {0};
    train_xacts a = {0};
    if (train_params_alloc(&w, c) || train_params_alloc(&g, c) ||
        train_xmodel_init(&m, c, &w, T, NULL) || train_xacts_alloc(&a, &m, T, NULL))
        st = titan_fail(TITAN_E_NOMEM, "out of memory for T = %d", T);
    if (st == TITAN_OK) st = train_load_safetensors(wpath, &w);
    if (st == TITAN_OK) {
        float loss = (float)train_xloss_grad(&m, &w, &a, ids, T, 1.0, &g, NULL);
        st = train_save_safetensors(out, &g, &loss);
    }
    train_xacts_free(&a);
    train_xmodel_free(&m);
    train_params_free(&g);
    train_params_free(&w);
    return st;
}

static titan_status run(const char *wpath, const char *cpath, const char *ipath,
                        const char *out) {
    titan_config c;
    TITAN_TRY(train_load_config_xenith(cpath, &c));
    int *ids = NULL, T = 0;
    TITAN_TRY(train_load_ids(ipath, c.vocab_size, &ids, &T));
    if (TITAN_XENITH(&c)) {
        titan_status st = run_xenith(&c, wpath, ids, T, out);
        free(ids);
        return st;
    }
    titan_status st = TITAN_OK;
    train_model m = {0};
    train_params w = {0}, g = {0};
    train_acts a = {0};
    if (T > c.max_seq_len)
        st = titan_fail(TITAN_E_DATA, "%s: %d ids exceed max_seq_len %d", ipath, T,
                        c.max_seq_len);
    else if (train_model_init(&m, &c, T) || train_params_alloc(&w, &c) ||
             train_params_alloc(&g, &c) || train_acts_alloc(&a, &c, T))
        st = titan_fail(TITAN_E_NOMEM, "out of memory for T = %d", T);
    if (st == TITAN_OK) st = train_load_safetensors(wpath, &w);
    if (st == TITAN_OK) {
        float loss = (float)train_loss_grad(&m, &w, &a, ids, T, false, 1.0, &g, NULL);
        st = train_save_safetensors(out, &g, &loss);
    }
    train_acts_free(&a);
    train_params_free(&g);
    train_params_free(&w);
    train_model_free(&m);
    free(ids);
    return st;
}

int train_cmd_grad(int argc, char **argv) {
    const char *wpath = NULL, *cpath = NULL, *ipath = NULL, *out = NULL;
    const cli_flag flags[] = {
        {"--safetensors", FLAG_STR, &wpath, 0, 0, "weights (SPEC names)"},
        {"--config", FLAG_STR, &cpath, 0, 0, "config JSON"},
        {"--ids", FLAG_STR, &ipath, 0, 0, "whitespace-separated token ids"},
        {CLI_OUT, FLAG_STR, &out, 0, 0, "gradients (safetensors, float32)"},
    };
    int npos, rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (!wpath || !cpath || !ipath || !out)
        return cli_usage(argv[0], "--safetensors, --config, --ids and -o are required");
    const char *outputs[] = {out};
    if ((rc = cli_outputs_check(argv[0], outputs, 1))) return rc;
    titan_status st = run(wpath, cpath, ipath, out);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    cli_wrote(false, out, "loss and gradients");
    return CLI_EXIT_OK;
}
