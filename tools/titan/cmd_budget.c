/* cmd_budget.c: `titan budget (--config CFG.json | --preset NAME | --ckpt CKPT)
 * [--quant Q] [--codec C] [--budget BYTES] [--tokenizer TOK] [--fit
 * width|depth|vocab] [--json]`: the artifact bytes pack would write, per
 * tensor group, and the headroom (budget_predict.h says how; --ckpt: the
 * checkpoint's config and tokenizer, and its trained weights for the
 * compression rates); --fit: the largest d_model, block
 * count or vocabulary whose predicted file fits, among the values the config
 * validator accepts (width scales mlp_hidden with d_model). */
#include "formats/checkpoint.h"
#include "tools/cli/cli.h"
#include "tools/titan/budget_predict.h"
#include "tools/titan/commands.h"
#include "tools/titan/config_arg.h"
#include "tools/titan/storage.h"
#include "tools/titan/tok_io.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef enum { FIT_NONE, FIT_WIDTH, FIT_DEPTH, FIT_VOCAB } fit_knob;
static const char *const fit_names[] = {"", "width", "depth", "vocab"};
static const int64_t fit_caps[] = {0, 1 << 16, 1 << 12, 1 << 22};

typedef struct {
    const char *quant;
    int64_t embed_split; /* pack's --embed-split N, or -1 */
    titan_config base;
    const uint8_t *tok;
    size_t tok_len;
    int64_t budget;
    budget_rates rates;
} budget_job;

/* The largest model predicted: the writer touches about three times its
 * stored bytes (2^27 f32 parameters: about 1.6 GB). */
#define BUDGET_MAX_PARAMS ((int64_t)1 << 27)

/* Predict c in its own arena (sized for c). */
static titan_status predict(budget_job *j, const titan_config *c, budget_prediction *p) {
    if (titan_config_params(c) > BUDGET_MAX_PARAMS)
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "%lld parameters: titan budget predicts up to 2^27",
                          (long long)titan_config_params(c));
    titan_arena a;
    TITAN_TRY(cli_arena_create(&a, budget_scratch_bytes(c, &j->rates)));
    titan_status st =
        budget_predict(&a, c, j->quant, j->embed_split, j->tok, j->tok_len, &j->rates, p);
    cli_arena_destroy(&a);
    return st;
}

/* The base config with the knob at v; false when the validator refuses it. */
static bool with_knob(const budget_job *j, fit_knob k, int64_t v, titan_config *c) {
    *c = j->base;
    if (k == FIT_WIDTH) {
        c->d_model = (int32_t)v;
        c->mlp_hidden = (int32_t)llround((double)j->base.mlp_hidden * (double)v /
                                         (double)j->base.d_model);
    } else if (k == FIT_DEPTH)
        c->n_unique_blocks = (int32_t)v;
    else
        c->vocab_size = (int32_t)v;
    titan_config check = *c;
    return titan_config_validate(&check) == TITAN_OK;
}

/* The smallest value in [from, below) the validator accepts, 0 if none. */
static int64_t next_valid(const budget_job *j, fit_knob k, int64_t from, int64_t below) {
    titan_config c;
    for (int64_t v = from; v < below; v++)
        if (with_knob(j, k, v, &c)) return v;
    return 0;
}

static titan_status fits(budget_job *j, fit_knob k, int64_t v, bool *ok) {
    titan_config c;
    budget_prediction p;
    (void)with_knob(j, k, v, &c);
    *ok = false; /* larger than titan budget predicts: over any budget it meets */
    if (titan_config_params(&c) > BUDGET_MAX_PARAMS) return TITAN_OK;
    TITAN_TRY(predict(j, &c, &p));
    *ok = p.total <= (double)j->budget;
    return TITAN_OK;
}

/* Largest fitting value (0: none) and the next valid one above it (0: none
 * below the cap). Sizes grow with each knob, so: double, then bisect. */
static titan_status fit_search(budget_job *j, fit_knob k, int64_t *best, int64_t *next) {
    int64_t cap = fit_caps[k], fit = next_valid(j, k, 1, cap), over = cap;
    bool ok = false;
    *best = *next = 0;
    if (!fit) return titan_fail(TITAN_E_USAGE, "no %s the config allows", fit_names[k]);
    TITAN_TRY(fits(j, k, fit, &ok));
    if (!ok) return TITAN_OK;
    for (int64_t v = next_valid(j, k, 2 * fit, cap); v;
         v = next_valid(j, k, 2 * v, cap)) {
        TITAN_TRY(fits(j, k, v, &ok));
        if (!ok) {
            over = v;
            break;
        }
        fit = v;
    }
    for (int64_t mid = fit + (over - fit) / 2; mid > fit; mid = fit + (over - fit) / 2) {
        int64_t v = next_valid(j, k, mid, over);
        if (!v) {
            over = mid;
            continue;
        }
        TITAN_TRY(fits(j, k, v, &ok));
        *(ok ? &fit : &over) = v;
    }
    *best = fit;
    *next = next_valid(j, k, fit + 1, cap);
    return TITAN_OK;
}

/* The int6 layout pack's --int6-layout auto is predicted to pick. */
static const char *int6_layout(const budget_job *j, const budget_prediction *p) {
    bool any = !strcmp(j->quant, "int6") || !strcmp(j->quant, "mixed");
    return any ? (p->int6_byte ? "byte" : "packed") : NULL;
}

/* Codec auto: the data section's predicted form and each group's choice. */
static void json_auto(const budget_prediction *p) {
    printf(", \"data_codec\": \"%s\", \"codec_choices\": {",
           titan_codec_name(p->data_codec));
    for (int k = 0, m = 0; k < ART_GROUP_KINDS; k++)
        if (p->data_codec == TITAN_CODEC_AUTO && p->group_used[k])
            printf("%s\"%s\": {\"codec\": \"%s\", \"shuffled\": %s}", m++ ? ", " : "",
                   art_group_names[k], titan_codec_name(p->group_codec[k]),
                   p->group_shuffled[k] ? "true" : "false");
    printf("}");
}

static void text_auto(const budget_prediction *p) {
    if (p->data_codec != TITAN_CODEC_AUTO) {
        printf("codec auto: %s on the whole data section\n",
               titan_codec_name(p->data_codec));
        return;
    }
    printf("codec auto, per group:");
    for (int k = 0; k < ART_GROUP_KINDS; k++)
        if (p->group_used[k])
            printf(" %s %s%s", art_group_names[k], titan_codec_name(p->group_codec[k]),
                   p->group_shuffled[k] ? "+shuffle" : "");
    printf("\n");
}

static void print_json(const budget_job *j, const budget_prediction *p, fit_knob k,
                       int64_t best, int64_t next, const budget_prediction *bp,
                       const budget_prediction *np) {
    const char *layout = int6_layout(j, p);
    printf("{\"quant\": \"%s\", \"codec\": \"%s\", \"exact\": %s, \"budget\": %lld, "
           "\"params\": %lld, \"predicted_bytes\": %.0f, \"headroom\": %.0f, "
           "\"int6_layout\": %s%s%s, \"groups\": {",
           j->quant, titan_codec_name(j->rates.codec),
           j->rates.codec == TITAN_CODEC_NONE ? "true" : "false", (long long)j->budget,
           (long long)titan_config_params(&j->base), ceil(p->total),
           (double)j->budget - ceil(p->total), layout ? "\"" : "",
           layout ? layout : "null", layout ? "\"" : "");
    for (int g = 0; g < BUDGET_GROUPS; g++)
        printf("%s\"%s\": {\"stored\": %llu, \"predicted\": %.0f}", g ? ", " : "",
               budget_group_names[g], (unsigned long long)p->stored[g],
               ceil(p->predicted[g]));
    printf("}");
    if (j->rates.codec == TITAN_CODEC_AUTO) json_auto(p);
    if (k)
        printf(
            ", \"fit\": {\"knob\": \"%s\", \"value\": %lld, \"predicted_bytes\": %.0f, "
            "\"next\": %lld, \"next_predicted_bytes\": %.0f}",
            fit_names[k], (long long)best, best ? ceil(bp->total) : 0.0, (long long)next,
            next ? ceil(np->total) : 0.0);
    printf("}\n");
}

static void print_text(const budget_job *j, const budget_prediction *p) {
    bool exact = j->rates.codec == TITAN_CODEC_NONE;
    printf("%lld parameters, --quant %s, --codec %s (%s)\n",
           (long long)titan_config_params(&j->base), j->quant,
           titan_codec_name(j->rates.codec),
           exact              ? "exact"
           : j->rates.trained ? "estimate: rates measured on the checkpoint's weights"
                              : "estimate: rates measured on init-like weights");
    printf("%-14s %14s %14s\n", "group", "stored", "predicted");
    for (int g = 0; g < BUDGET_GROUPS; g++)
        printf("%-14s %14llu %14.0f\n", budget_group_names[g],
               (unsigned long long)p->stored[g], ceil(p->predicted[g]));
    printf("%-14s %14s %14.0f\n", "total", "", ceil(p->total));
    if (j->rates.codec == TITAN_CODEC_AUTO) text_auto(p);
    double room = (double)j->budget - ceil(p->total);
    printf("budget %lld: headroom %.0f bytes (%s)\n", (long long)j->budget, room,
           room >= 0 ? "fits" : "over");
}

static void print_fit(fit_knob k, int64_t best, int64_t next, const budget_prediction *bp,
                      const budget_prediction *np) {
    if (!best)
        printf("fit %s: nothing the config allows fits\n", fit_names[k]);
    else if (next && !np->total)
        printf("fit %s: %lld (%.0f bytes); %lld is over 2^27 parameters\n", fit_names[k],
               (long long)best, ceil(bp->total), (long long)next);
    else if (!next)
        printf("fit %s: %lld (%.0f bytes); no larger value the config allows\n",
               fit_names[k], (long long)best, ceil(bp->total));
    else
        printf("fit %s: %lld (%.0f bytes); %lld would be %.0f bytes\n", fit_names[k],
               (long long)best, ceil(bp->total), (long long)next, ceil(np->total));
}

/* --fit: the answer and the next step up, each with its prediction. */
static titan_status run_fit(budget_job *j, fit_knob k, int64_t *best, int64_t *next,
                            budget_prediction *bp, budget_prediction *np) {
    titan_config c;
    TITAN_TRY(fit_search(j, k, best, next));
    if (*best) {
        (void)with_knob(j, k, *best, &c);
        TITAN_TRY(predict(j, &c, bp));
    }
    if (*next) {
        (void)with_knob(j, k, *next, &c);
        if (titan_config_params(&c) > BUDGET_MAX_PARAMS) return TITAN_OK; /* np 0 */
        TITAN_TRY(predict(j, &c, np));
    }
    return TITAN_OK;
}

static const char usage[] =
    "titan budget (--config CFG.json | --preset NAME | --ckpt CKPT) [--quant Q] "
    "[--codec C] [--embed-split N] [--budget BYTES] [--tokenizer TOK] "
    "[--fit width|depth|vocab] "
    "[--json]\n"
    "  the artifact bytes titan pack would write, per tensor group, and the\n"
    "  headroom: exact with --codec none, else from compression rates measured\n"
    "  on init-like weights, or with --ckpt on its trained weights (its config\n"
    "  and tokenizer too); --fit: the largest setting that fits\n"
    "example: titan budget --config tools/configs/golf-cpu.json --quant int6 "
    "--codec brotli --fit width";

static int parse(int argc, char **argv, budget_job *j, fit_knob *k, const char **tok,
                 const char **ckpt, bool *json, titan_config *c) {
    const char *preset = NULL, *cfg = NULL, *codec = "none", *fit = NULL;
    const cli_flag flags[] = {
        {"--config", FLAG_STR, &cfg, 0, 0, "config JSON"},
        {"--preset", FLAG_STR, &preset, 0, 0, config_arg_presets()},
        {"--ckpt", FLAG_STR, ckpt, 0, 0,
         "titan-train checkpoint: its config, tokenizer and trained weights' rates"},
        {"--quant", FLAG_STR, &j->quant, 0, 0,
         "f32 | f16 | bf16 | int8 | int6 | mixed, as pack (default f32)"},
        {"--codec", FLAG_STR, &codec, 0, 0,
         "none | lzma | xz | brotli | auto, as pack (default none)"},
        {"--embed-split", FLAG_INT, &j->embed_split, 0, 1 << 30,
         "as pack: N token rows int8, the rest int6 (N above the vocabulary: all)"},
        {"--budget", FLAG_INT, &j->budget, 1, CLI_BYTES_MAX, "bytes (default 16000000)"},
        {"--tokenizer", FLAG_STR, tok, 0, 0, "TOK file (default the byte tokenizer)"},
        {"--fit", FLAG_STR, &fit, 0, 0, "width | depth | vocab: the largest that fits"},
        {"--json", FLAG_BOOL, json, 0, 0, "print one JSON object"},
    };
    char *pos[1];
    int npos, rc = cli_parse(argc, argv, usage, flags, pos, 0, &npos);
    if (rc) return rc;
    for (*k = FIT_WIDTH; fit && *k <= FIT_VOCAB && strcmp(fit, fit_names[*k]);) ++*k;
    if (!fit) *k = FIT_NONE;
    if (*k > FIT_VOCAB) return cli_usage(argv[0], "--fit %s: width, depth or vocab", fit);
    if (titan_codec_from_name(codec, &j->rates.codec) != TITAN_OK)
        return cli_fail(argv[0], TITAN_E_USAGE);
    titan_dtype none[1]; /* no tensors: only the --quant name is checked */
    if (storage_choose_types(j->quant, NULL, NULL, 0, none) != TITAN_OK)
        return cli_fail(argv[0], TITAN_E_USAGE);
    if (*ckpt && (preset || cfg))
        return cli_usage(argv[0], "--ckpt brings its config: no --config or --preset");
    return *ckpt ? CLI_EXIT_OK : config_arg_load(argv[0], preset, cfg, c);
}

/* --ckpt: the checkpoint (its export choice of weights) in arena ck; its
 * config and, without --tokenizer, its tokenizer. */
static titan_status load_ckpt(const char *path, titan_arena *ck, pack_input *in,
                              budget_job *j) {
    size_t need;
    TITAN_TRY(titan_ckpt_load_plan(path, &need));
    TITAN_TRY(cli_arena_create(ck, need));
    TITAN_TRY(pack_input_from_ckpt(ck, path, NULL, in));
    j->base = in->config;
    j->rates.trained = in;
    j->rates.quant = j->quant;
    return TITAN_OK;
}

int cmd_budget(int argc, char **argv) {
    budget_job j = {.quant = "f32", .embed_split = -1, .budget = 16000000};
    fit_knob k;
    const char *tok_path = NULL, *ckpt = NULL;
    bool json = false;
    int rc = parse(argc, argv, &j, &k, &tok_path, &ckpt, &json, &j.base);
    CLI_RETURN_IF_DONE(rc);
    titan_arena a, ck = {0};
    pack_input in;
    if (cli_arena_create(&a, (size_t)64 << 20) != TITAN_OK) return CLI_EXIT_FAIL;
    budget_prediction p, bp = {0}, np = {0};
    int64_t best = 0, next = 0;
    titan_status st = ckpt ? load_ckpt(ckpt, &ck, &in, &j) : TITAN_OK;
    if (st == TITAN_OK && ckpt && !tok_path && in.tok_len)
        j.tok = in.tok, j.tok_len = in.tok_len;
    else if (st == TITAN_OK)
        st = tok_io_file_or_bytes(&a, tok_path, &j.tok, &j.tok_len);
    if (st == TITAN_OK) st = predict(&j, &j.base, &p);
    if (st == TITAN_OK && k) st = run_fit(&j, k, &best, &next, &bp, &np);
    if (st == TITAN_OK && json) print_json(&j, &p, k, best, next, &bp, &np);
    if (st == TITAN_OK && !json) print_text(&j, &p);
    if (st == TITAN_OK && !json && k) print_fit(k, best, next, &bp, &np);
    cli_arena_destroy(&a);
    cli_arena_destroy(&ck);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    if (k) return best ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    return p.total <= (double)j.budget ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
