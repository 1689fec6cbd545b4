/* cmd_export.c: `titan-train export CKPT -o W.safetensors`: a checkpoint's
 * weights, config and tokenizer as the files `titan pack` takes. */
#include "tools/cli/cli.h"
#include "tools/train/train_ckpt.h"
#include "tools/train/train_commands.h"

static const char usage[] =
    "titan-train export CKPT -o W.safetensors [--weights raw|ema|swa] "
    "[--config-out CFG.json] [--tokenizer-out TOK]\n"
    "  the files titan pack --safetensors W --config CFG --tokenizer TOK takes\n"
    "example: titan-train export run.ckpt -o w.safetensors --config-out w.json "
    "--tokenizer-out w.tok";

int train_cmd_export(int argc, char **argv) {
    const char *out = NULL, *which = NULL, *config_out = NULL, *tok_out = NULL;
    char *pos[1];
    const cli_flag flags[] = {
        {CLI_OUT, FLAG_STR, &out, 0, 0, "weights (safetensors, float32)"},
        {"--weights", FLAG_STR, &which, 0, 0,
         "raw|ema|swa (default the checkpoint's choice)"},
        {"--config-out", FLAG_STR, &config_out, 0, 0, "write the config JSON here"},
        {"--tokenizer-out", FLAG_STR, &tok_out, 0, 0, "write the TOK tokenizer here"},
    };
    int npos, rc = cli_parse(argc, argv, usage, flags, pos, 1, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (npos != 1 || !out) return cli_usage(argv[0], "need CKPT and -o W.safetensors");
    const char *outputs[] = {out, config_out, tok_out};
    if ((rc = cli_outputs_check(argv[0], outputs, 3))) return rc;
    titan_status st = train_ckpt_export(pos[0], which, out, config_out, tok_out);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    cli_wrote(false, out, "%s weights, float32",
              which ? which : "the checkpoint's export");
    if (config_out) cli_wrote(false, config_out, "config JSON");
    if (tok_out) cli_wrote(false, tok_out, "tokenizer");
    return CLI_EXIT_OK;
}
