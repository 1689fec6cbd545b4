/* plan_xenith.c: `titan plan` for a xenith config: SPEC section 9's exact
 * parameter counts (total, base, adapters, summarizer, active per token) and
 * decode-cache counts at a context, the weights' stored bytes under each
 * --quant policy and the model's arena (core/xenith_model.c). */
#include "tools/titan/plan_xenith.h"

#include "core/xenith.h"

#include "tools/cli/cli.h"
#include "tools/titan/storage.h"

#include <stdio.h>
#include <stdlib.h>

/* The model's arena (caches, LTM, scratch; weights apart), or "null" for a
 * model the runtime does not hold (over 2^36 parameters). */
static const char *model_bytes(const titan_config *c, int64_t ctx, char *buf,
                               size_t cap) {
    size_t bytes;
    if (titan_xenith_plan(c, ctx, &bytes) != TITAN_OK) return "null";
    snprintf(buf, cap, "%zu", bytes);
    return buf;
}

/* The --quant policies whose weight bytes plan reports (storage.h). */
static const char *const policies[] = {"f32", "bf16", "int8", "int6", "mixed"};
enum { N_POLICIES = sizeof policies / sizeof *policies };

/* Tensor data bytes of c's weights under each policy, as an artifact stores
 * them (titan_tensor_layout: values, then for int8/int6 the per-row float32
 * scales at a 64-byte boundary); the file adds its sections and each
 * tensor's alignment. xenith-full has more tensors than an artifact holds,
 * so the specs come from the heap. */
static titan_status weight_bytes(const titan_config *c, int64_t out[N_POLICIES]) {
    int n = titan_config_tensors(c, NULL, 0);
    titan_tensor_spec *specs = malloc((size_t)n * sizeof *specs);
    titan_dtype *types = malloc((size_t)n * sizeof *types);
    titan_status st = specs && types ? TITAN_OK : TITAN_E_NOMEM;
    if (st == TITAN_OK) titan_config_tensors(c, specs, n);
    for (int p = 0; st == TITAN_OK && p < N_POLICIES; p++) {
        st = storage_choose_types(policies[p], NULL, specs, n, types);
        out[p] = 0;
        for (int i = 0; st == TITAN_OK && i < n; i++) {
            titan_tensor_layout_t l;
            st = titan_tensor_layout(types[i], specs[i].rows, specs[i].cols, 0, &l);
            out[p] += (int64_t)l.total_bytes;
        }
    }
    free(specs);
    free(types);
    return st;
}

static void print_json(const titan_xenith_counts *k, int64_t ctx, const char *config,
                       const char *model, const int64_t bytes[N_POLICIES]) {
    printf("{\"family\":\"xenith\",\"ctx\":%lld,"
           "\"params\":{\"total\":%lld,\"base\":%lld,\"lora\":%lld,\"summarizer\":%lld,"
           "\"active_per_token\":%lld,\"active_per_token_lora\":%lld,\"main\":%lld,"
           "\"embedding\":%lld,\"lm_head\":%lld,\"attention\":%lld,\"dense_ffn\":%lld,"
           "\"moe\":%lld,\"expert\":%lld,\"router\":%lld},",
           (long long)ctx, (long long)k->total, (long long)k->base, (long long)k->lora,
           (long long)k->summarizer, (long long)k->active_per_token,
           (long long)k->active_per_token_lora, (long long)k->main,
           (long long)k->embedding, (long long)k->lm_head, (long long)k->attention,
           (long long)k->dense_ffn, (long long)k->moe, (long long)k->expert,
           (long long)k->router);
    printf(
        "\"lora\":{\"attention\":%lld,\"dense\":%lld,\"routers\":%lld,\"experts\":%lld,"
        "\"summarizer\":%lld,\"lm_head\":%lld},",
        (long long)k->lora_attention, (long long)k->lora_dense,
        (long long)k->lora_routers, (long long)k->lora_experts,
        (long long)k->lora_summarizer, (long long)k->lora_lm_head);
    printf("\"cache\":{\"attn_entries\":%lld,\"attn_values\":%lld,\"ltm_vectors\":%lld,"
           "\"ltm_kv_values\":%lld,\"stm_values\":%lld},",
           (long long)k->attn_entries, (long long)k->attn_values,
           (long long)k->ltm_vectors, (long long)k->ltm_kv_values,
           (long long)k->stm_values);
    printf("\"weights_bytes\":{");
    for (int p = 0; p < N_POLICIES; p++)
        printf("%s\"%s\":%lld", p ? "," : "", policies[p], (long long)bytes[p]);
    printf("},\"model_bytes\":%s,\"config\":%s}\n", model, config);
}

static void print_text(const titan_xenith_counts *k, int64_t ctx, const char *model,
                       const int64_t bytes[N_POLICIES]) {
    printf("model      xenith: %lld parameters = base %lld (main %lld + summarizer "
           "%lld) + adapters %lld\n",
           (long long)k->total, (long long)k->base, (long long)k->main,
           (long long)k->summarizer, (long long)k->lora);
    printf("active     %lld per token (+ %lld adapter)\n", (long long)k->active_per_token,
           (long long)k->active_per_token_lora);
    printf("weights    bytes by --quant:");
    for (int p = 0; p < N_POLICIES; p++)
        printf("%s %s %lld", p ? "," : "", policies[p], (long long)bytes[p]);
    printf(" (int8/int6: per-row f32 scales included; norms and adapters f32, f16 in "
           "mixed)\n");
    printf("cache      ctx %lld: %lld attention entries (%lld values), LTM %lld vectors "
           "(%lld k/v values), STM %lld values\n",
           (long long)ctx, (long long)k->attn_entries, (long long)k->attn_values,
           (long long)k->ltm_vectors, (long long)k->ltm_kv_values,
           (long long)k->stm_values);
    printf("model      %s bytes of arena at ctx %lld (caches, LTM, scratch; weights "
           "apart; titan logits runs it)\n",
           model, (long long)ctx);
}

int plan_xenith_print(const char *cmd, const titan_config *c, int64_t ctx, bool json) {
    titan_xenith_counts k;
    titan_config_xenith_counts(c, ctx, &k);
    char buf[32];
    const char *model = model_bytes(c, ctx, buf, sizeof buf);
    int64_t bytes[N_POLICIES];
    titan_status st = weight_bytes(c, bytes);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    if (!json) {
        print_text(&k, ctx, model, bytes);
        return CLI_EXIT_OK;
    }
    size_t len;
    char *config = NULL;
    st = titan_config_to_json(c, NULL, 0, &len);
    if (st == TITAN_OK) st = (config = malloc(len + 1)) ? TITAN_OK : TITAN_E_NOMEM;
    if (st == TITAN_OK) st = titan_config_to_json(c, config, len + 1, &len);
    if (st == TITAN_OK) {
        while (len && config[len - 1] == '\n') config[--len] = 0;
        print_json(&k, ctx, config, model, bytes);
    }
    free(config);
    return st == TITAN_OK ? CLI_EXIT_OK : cli_fail(cmd, st);
}
