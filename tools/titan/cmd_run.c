/* cmd_run.c: `titan run`: generate text from a prompt (BOS + its tokens),
 * streaming each token's bytes to stdout as it is decided; with --speculative
 * the MTP heads draft and one batched forward verifies (core/generate.c).
 * Every buffer comes from the one exact arena made at start.
 *
 * Context: a prompt longer than the context allows is cut from the left (a
 * note says so), keeping room to generate. When generation fills the context
 * it shifts, as llama.cpp does: the second half of the text so far (after a
 * BOS) is fed again and generation goes on; --no-shift stops there instead.
 * Why generation ended is said: stop_reason "length" (-n tokens), "bos" (the
 * model began a new document) or "context" (full, --no-shift). */
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"
#include "tools/titan/runtime.h"
#include "tools/titan/tpu_cli.h"
#include "tools/titan/tpu_report.h"
#include "tools/titan/utf8_stream.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "titan run -m ART [-p TEXT | -f FILE] [-n N] [--temp T] [--top-k K] "
    "[--top-p P] [--seed S] [--greedy] [--speculative] [--no-shift] "
    "[--backend cpu|ref|tpu] [--threads N] [--act-quant exact|q8] [--json] "
    "[--tpu-report FILE] "
    "[--tpu-array RxC ...]\n"
    "  streams the generated text to stdout (after the prompt, on a terminal);\n"
    "  statistics and why it stopped go to stderr\n"
    "  --speculative: heads 2..M draft, one batched pass verifies. Measured on\n"
    "  2 CPU cores it did not pay for these models: nano (1 draft) ran at about\n"
    "  0.5x the tokens/s of plain greedy with 26-64% of drafts accepted, and a\n"
    "  verify pass of zenyx-v2-base (86M, 2 drafts) cost 1.7x a plain step (it\n"
    "  would need about 40% accepted to break even); see the README\n"
    "example: titan run -m tools/data/model/nano.tart -p 'def main(argv):' -n 96 "
    "--temp 0.8 --seed 1";

/* What --speculative does, and where it pays (measured: README, "Speculative
 * decoding"). */
#define SPECULATIVE_HELP "draft with the MTP heads (slower on CPU here: see above)"

typedef struct {
    const char *model, *prompt, *file, *backend, *tpu_report, *act_quant_name;
    titan_act_quant act_quant;
    int64_t n, top_k, seed, threads;
    double temp, top_p;
    bool greedy, speculative, json, no_shift;
    tpu_cli tpu_flags;
    titan_tpu_config tpu;
} run_args;

typedef struct {
    int64_t prompt_tokens, tokens, shifts;
    int64_t prompt_cut;        /* tokens cut from the prompt's left */
    int64_t drafted, accepted; /* speculative drafts verified, kept */
    double prefill_s, decode_s;
    const char *stop_reason;
} run_stats;

/* The prompt's bytes: -p as given, -f read into the arena. */
static titan_status prompt_bytes(runtime *rt, const run_args *r, size_t file_size,
                                 const uint8_t **text, size_t *len) {
    if (!r->file) {
        *text = (const uint8_t *)(r->prompt ? r->prompt : "");
        *len = strlen((const char *)*text);
        return TITAN_OK;
    }
    uint8_t *data;
    titan_status st = titan_file_read(&rt->arena, r->file, file_size, &data, len);
    *text = data;
    return st;
}

/* Text as the body of a JSON string: valid UTF-8 passes through, control
 * characters are escaped, every byte of an invalid sequence becomes U+FFFD
 * (utf8_stream: tokens may split a character, so the state spans calls). */
static void json_put(const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '"' || b[i] == '\\')
            printf("\\%c", b[i]);
        else if (b[i] < 0x20)
            printf("\\u%04x", b[i]);
        else
            putchar(b[i]);
    }
}

static void json_byte(utf8_stream *j, uint8_t b) {
    uint8_t out[UTF8_STREAM_OUT];
    json_put(out, utf8_stream_byte(j, b, out));
}

static void json_flush_invalid(utf8_stream *j) {
    uint8_t out[UTF8_STREAM_OUT];
    json_put(out, utf8_stream_flush(j, out));
}

/* Write a token's bytes to stdout: raw, or into a JSON string; *state runs
 * along the stream (titan_tokenizer_piece). */
static void emit(const titan_tokenizer *tok, int32_t id, utf8_stream *j,
                 uint32_t *state) {
    const uint8_t *b;
    uint8_t buf[TITAN_TOK_CHUNK_MAX];
    size_t n = titan_tokenizer_piece(tok, state, id, buf, &b);
    if (!n) return; /* BOS, or an id the tokenizer does not have */
    if (!j) {
        fwrite(b, 1, n, stdout);
        return;
    }
    for (size_t i = 0; i < n; i++) json_byte(j, b[i]);
}

/* The token stream so far: the prompt (BOS first) then the generated ids. */
typedef struct {
    const int32_t *prompt;
    int n_prompt;
    const int32_t *out;
    int64_t n_out;
    int32_t *window; /* [ctx]: what a shift feeds again */
} run_text;

static int32_t text_at(const run_text *t, int64_t i) {
    return i < t->n_prompt ? t->prompt[i] : t->out[i - t->n_prompt];
}

/* Context shift: BOS + the last half of the text, fed again as a prompt. */
static titan_status shift(runtime *rt, const run_args *r, titan_sampler *smp,
                          const run_text *t, size_t mark, titan_generator **g) {
    int64_t total = t->n_prompt + t->n_out, keep = rt->ctx / 2;
    if (keep > total - 1) keep = total - 1;
    t->window[0] = rt->art.config.bos_id;
    for (int64_t i = 0; i < keep; i++) t->window[1 + i] = text_at(t, total - keep + i);
    titan_arena_reset(&rt->arena, mark);
    return titan_generator_start(&rt->arena, rt->m, rt->s, smp, r->speculative, t->window,
                                 (int)keep + 1, g);
}

/* Decode up to r->n tokens; generated ids go to out[]. */
static titan_status generate(runtime *rt, const run_args *r, titan_sampler *smp,
                             run_text *t, int32_t *out, run_stats *s) {
    double t0 = cli_now();
    titan_generator *g;
    size_t mark = titan_arena_mark(&rt->arena);
    titan_status st = titan_generator_start(&rt->arena, rt->m, rt->s, smp, r->speculative,
                                            t->prompt, t->n_prompt, &g);
    if (st != TITAN_OK) return st;
    double t1 = cli_now();
    int M = rt->art.config.mtp_heads, bos = rt->art.config.bos_id;
    int64_t have = 0, drafted = 0, accepted = 0;
    uint32_t state = 0; /* the prompt ends on whole bytes */
    s->stop_reason = "length";
    while (have < r->n) {
        if (titan_seq_pos(rt->s) >= rt->ctx) {
            if (r->no_shift || rt->ctx < 4) {
                s->stop_reason = "context";
                break;
            }
            int64_t d, a;
            titan_generator_drafts(g, &d, &a);
            drafted += d, accepted += a;
            t->n_out = have;
            if ((st = shift(rt, r, smp, t, mark, &g)) != TITAN_OK) return st;
            s->shifts++;
        }
        int32_t step[TITAN_MAX_MTP];
        int k;
        if ((st = titan_generator_step(g, step, &k)) != TITAN_OK) return st;
        bool ended = false;
        for (int i = 0; i < k && i < M && have < r->n && !ended; i++) {
            ended = step[i] == bos; /* BOS starts the next document: stop */
            if (ended) break;
            out[have++] = step[i];
            if (!r->json) emit(rt->art.tokenizer, step[i], NULL, &state);
        }
        if (!r->json && (fflush(stdout) || ferror(stdout)))
            return titan_fail(TITAN_E_IO, "cannot write standard output: %s",
                              strerror(errno));
        if (ended) {
            s->stop_reason = "bos";
            break;
        }
    }
    s->tokens = have;
    s->prefill_s = t1 - t0;
    s->decode_s = cli_now() - t1;
    int64_t d, a;
    titan_generator_drafts(g, &d, &a);
    s->drafted = drafted + d;
    s->accepted = accepted + a;
    return TITAN_OK;
}

/* A xenith model (SPEC section 9): the prompt in chunks, then each chosen
 * token, fed to a stream whose caches are bounded, so there is no context to
 * fill or shift. logits [V] and work [V] come from the arena. */
static titan_status generate_xenith(runtime *rt, const run_args *r, titan_sampler *smp,
                                    const run_text *t, int32_t *out, run_stats *s) {
    int V = rt->art.config.vocab_size, bos = rt->art.config.bos_id;
    float *logits;
    int32_t *work;
    TITAN_TRY(titan_arena_alloc(&rt->arena, (size_t)V * sizeof *logits, TITAN_ALIGN,
                                (void **)&logits));
    TITAN_TRY(titan_arena_alloc(&rt->arena, (size_t)V * sizeof *work, TITAN_ALIGN,
                                (void **)&work));
    double t0 = cli_now();
    if (t->n_prompt > 0)
        TITAN_TRY(titan_xenith_prefill(rt->x, t->prompt, t->n_prompt, logits));
    double t1 = cli_now();
    uint32_t state = 0;
    s->stop_reason = "length";
    for (int64_t have = 0; have < r->n; have++) {
        titan_sampler_probs(smp, logits, V, work);
        int32_t next = titan_sampler_draw(smp, logits, V);
        if (next == bos) {
            s->stop_reason = "bos";
            break;
        }
        out[s->tokens++] = next;
        if (!r->json) emit(rt->art.tokenizer, next, NULL, &state);
        if (!r->json && (fflush(stdout) || ferror(stdout)))
            return titan_fail(TITAN_E_IO, "cannot write standard output: %s",
                              strerror(errno));
        if (have + 1 < r->n) TITAN_TRY(titan_xenith_step(rt->x, next, logits));
    }
    s->prefill_s = t1 - t0;
    s->decode_s = cli_now() - t1;
    return TITAN_OK;
}

/* Why generation ended, in words. */
static const char *stop_text(const char *reason) {
    if (!strcmp(reason, "length")) return "-n tokens generated";
    if (!strcmp(reason, "bos"))
        return "the model ended the text (it began a new document)";
    return "the context is full";
}

static void report(runtime *rt, const run_args *r, const int32_t *out,
                   const run_stats *s) {
    double rate = s->drafted ? (double)s->accepted / s->drafted : 0;
    double tps = s->decode_s > 0 ? s->tokens / s->decode_s : 0;
    double pps = s->prefill_s > 0 ? s->prompt_tokens / s->prefill_s : 0;
    if (!r->json) {
        printf("\n");
        fprintf(stderr,
                "prompt %lld tokens (%.1f tok/s), generated %lld tokens "
                "(%.1f tok/s), seed %lld, backend %s\n",
                (long long)s->prompt_tokens, pps, (long long)s->tokens, tps,
                (long long)r->seed, rt->be->name);
        fprintf(stderr, "stopped: %s", stop_text(s->stop_reason));
        if (!strcmp(s->stop_reason, "context"))
            fprintf(stderr, " (max_seq_len %d; without --no-shift the context shifts)",
                    rt->art.config.max_seq_len);
        if (s->shifts)
            fprintf(stderr, "; the context shifted %lld times (max_seq_len %d)",
                    (long long)s->shifts, rt->art.config.max_seq_len);
        fprintf(stderr, "\n");
        if (r->speculative && rt->art.config.mtp_heads < 2)
            fprintf(stderr, "speculative: nothing to draft (the model has one "
                            "prediction head, mtp_heads 1): plain decoding\n");
        else if (r->speculative)
            fprintf(stderr,
                    "speculative: %lld of %lld drafted tokens accepted "
                    "(acceptance rate %.3f)\n",
                    (long long)s->accepted, (long long)s->drafted, rate);
        return;
    }
    utf8_stream j = {0};
    uint32_t state = 0;
    printf("{\"text\":\"");
    for (int64_t i = 0; i < s->tokens; i++) emit(rt->art.tokenizer, out[i], &j, &state);
    json_flush_invalid(&j);
    printf("\",\"ids\":[");
    for (int64_t i = 0; i < s->tokens; i++) printf(i ? ",%d" : "%d", out[i]);
    printf("],\"prompt_tokens\":%lld,\"tokens\":%lld,\"prefill_seconds\":%.6f,"
           "\"decode_seconds\":%.6f,\"prefill_tokens_per_s\":%.3f,"
           "\"tokens_per_s\":%.3f,\"seed\":%lld,\"speculative\":%s,"
           "\"drafted\":%lld,\"accepted\":%lld,\"acceptance_rate\":%.6f,"
           "\"backend\":\"%s\",\"arena_bytes\":%zu,\"arena_used\":%zu,"
           "\"stop_reason\":\"%s\",\"context_shifts\":%lld,\"prompt_cut\":%lld",
           (long long)s->prompt_tokens, (long long)s->tokens, s->prefill_s, s->decode_s,
           pps, tps, (long long)r->seed, r->speculative ? "true" : "false",
           (long long)s->drafted, (long long)s->accepted, rate, rt->be->name, rt->planned,
           rt->arena.high, s->stop_reason, (long long)s->shifts,
           (long long)s->prompt_cut);
    if (!strcmp(rt->be->name, "tpu")) {
        printf(",\"tpu\":");
        tpu_report_json(stdout, &r->tpu, rt->be);
    }
    printf("}\n");
}

/* Carve ids, out and the shift window, then tokenize BOS + prompt into ids (the tokenizer's
 * scratch sits above and is released; the generator later reuses it). */
static titan_status tokenize_prompt(runtime *rt, const run_args *r, size_t file_size,
                                    size_t ids_max, int32_t **ids, size_t *n_ids,
                                    int32_t **out, int32_t **window) {
    const uint8_t *text;
    size_t len;
    titan_arena *a = &rt->arena;
    titan_status st = prompt_bytes(rt, r, file_size, &text, &len);
    if (st == TITAN_OK)
        st =
            titan_arena_alloc(a, (ids_max + 1) * sizeof **ids, TITAN_ALIGN, (void **)ids);
    if (st == TITAN_OK)
        st = titan_arena_alloc(a, (size_t)(r->n + TITAN_MAX_MTP) * sizeof **out,
                               TITAN_ALIGN, (void **)out);
    if (st == TITAN_OK)
        st = titan_arena_alloc(a, (size_t)rt->ctx * sizeof **window, TITAN_ALIGN,
                               (void **)window);
    if (st != TITAN_OK) return st;
    /* The encoder's scratch is one block of exactly its planned size, so the
     * arena's high-water mark is what run() planned. */
    size_t mark = titan_arena_mark(a), enc = titan_tokenizer_encode_plan();
    void *block;
    titan_arena scratch;
    if ((st = titan_arena_alloc(a, enc, TITAN_ALIGN, &block)) != TITAN_OK) return st;
    titan_arena_init(&scratch, block, enc);
    (*ids)[0] = rt->art.config.bos_id;
    st = titan_tokenizer_encode(rt->art.tokenizer, &scratch, text, len, *ids + 1, ids_max,
                                n_ids);
    titan_arena_reset(a, mark);
    *n_ids += 1;
    return st;
}

/* A prompt longer than the context leaves room for loses its left part
 * (BOS stays first); the room kept to generate is -n plus the drafts, at
 * most half the context. Returns the tokens cut. */
static int64_t cut_prompt(const char *cmd, int32_t *ids, size_t *n_ids, int ctx,
                          int64_t n, int heads, int max_seq_len) {
    int64_t room = n + heads < ctx / 2 ? n + heads : ctx / 2;
    int64_t keep = ctx - (room > 0 ? room : 1), cut = (int64_t)*n_ids - keep;
    if (cut <= 0) return 0;
    memmove(ids + 1, ids + 1 + cut, (size_t)(keep - 1) * sizeof *ids);
    fprintf(stderr,
            "%s: the prompt's %zu tokens do not fit max_seq_len %d with room to "
            "generate: kept its last %lld (cut from the left)\n",
            cmd, *n_ids - 1, max_seq_len, (long long)keep - 1);
    *n_ids = (size_t)keep;
    return cut;
}

/* On a terminal the text goes on from the prompt: show it first. */
static void echo_prompt(const run_args *r, const titan_tokenizer *t, const int32_t *ids,
                        size_t n) {
    if (r->json || !isatty(STDOUT_FILENO)) return;
    uint32_t state = 0;
    for (size_t i = 1; i < n; i++) emit(t, ids[i], NULL, &state);
}

static int run(const char *cmd, run_args *r) {
    size_t file_size = 0;
    titan_status st;
    if (r->file && (st = titan_file_size(r->file, &file_size)) != TITAN_OK)
        return cli_fail(cmd, st);
    size_t text_max = r->file ? file_size : r->prompt ? strlen(r->prompt) : 0;
    size_t ids_max = runtime_max_ids(r->model, text_max);
    runtime_opts o = {.backend = r->backend,
                      .threads = (int)r->threads,
                      .tpu = &r->tpu,
                      .act_quant = r->act_quant,
                      .xenith = true};
    titan_config c;
    runtime_sizes bytes;
    if ((st = runtime_plan(r->model, &o, &c, &bytes)) != TITAN_OK)
        return cli_fail(cmd, st);
    /* BOS + the prompt's tokens + the tokens to generate + drafts; a xenith
     * stream has no length limit (its caches are bounded: SPEC section 9). */
    bool xenith = TITAN_XENITH(&c);
    if (xenith && r->speculative)
        return cli_usage(cmd, "--speculative: a xenith model has no draft heads");
    int64_t need = (int64_t)ids_max + 1 + r->n + c.mtp_heads;
    int64_t max_ctx = xenith ? (int64_t)CLI_CTX_MAX : c.max_seq_len;
    o.ctx = need < max_ctx ? (int)need : (int)max_ctx;
    o.batch = xenith ? 1 : o.ctx < 256 ? o.ctx : 256;
    if (o.batch < c.mtp_heads) o.batch = o.ctx;
    size_t enc = titan_tokenizer_encode_plan(), gen = titan_generator_plan(&c);
    if (xenith) /* generate_xenith's logits [V] and work [V] */
        gen = 2 * ((size_t)c.vocab_size * sizeof(float) + TITAN_ALIGN);
    runtime_stack(&o.extra, r->file ? file_size : 0);
    runtime_stack(&o.extra, (ids_max + 1) * sizeof(int32_t));
    runtime_stack(&o.extra, (size_t)(r->n + TITAN_MAX_MTP) * sizeof(int32_t));
    runtime_stack(&o.extra, (size_t)o.ctx * sizeof(int32_t)); /* shift window */
    runtime_stack(&o.extra, enc > gen ? enc : gen);
    runtime rt;
    if ((st = runtime_open(r->model, &o, &rt)) != TITAN_OK) return cli_fail(cmd, st);
    int32_t *ids = NULL, *out = NULL, *window = NULL;
    size_t n_ids = 0;
    st = tokenize_prompt(&rt, r, file_size, ids_max, &ids, &n_ids, &out, &window);
    titan_sampler smp;
    titan_sampler_init(&smp, r->greedy ? 0 : r->temp, (int)r->top_k, r->top_p,
                       (uint64_t)r->seed);
    run_stats s = {0};
    int rc = CLI_EXIT_OK;
    if (st == TITAN_OK) {
        if (!xenith)
            s.prompt_cut =
                cut_prompt(cmd, ids, &n_ids, rt.ctx, r->n, c.mtp_heads, c.max_seq_len);
        s.prompt_tokens = (int64_t)n_ids;
        echo_prompt(r, rt.art.tokenizer, ids, n_ids);
        run_text t = {ids, (int)n_ids, out, 0, window};
        st = xenith ? generate_xenith(&rt, r, &smp, &t, out, &s)
                    : generate(&rt, r, &smp, &t, out, &s);
    }
    if (st == TITAN_OK)
        report(&rt, r, out, &s);
    else
        rc = cli_fail(cmd, st);
    if (!rc && r->tpu_report)
        rc = tpu_report_save(cmd, r->tpu_report, r->json, &r->tpu, rt.be);
    runtime_close(&rt);
    return rc;
}

int cmd_run(int argc, char **argv) {
    run_args r = {.n = 128, .temp = 0.8, .top_k = 40, .top_p = 0.95, .seed = -1};
    enum { OWN_FLAGS = 16 }; /* the tpu flags follow these */
    cli_flag flags[OWN_FLAGS + TPU_CLI_NFLAGS] = {
        {"-m|--model", FLAG_STR, &r.model, 0, 0, "artifact"},
        {"-p|--prompt", FLAG_STR, &r.prompt, 0, 0, "prompt text"},
        {"-f|--file", FLAG_STR, &r.file, 0, 0, "prompt file"},
        {"-n", FLAG_INT, &r.n, 0, 1 << 24, "tokens to generate (default 128)"},
        {"--temp", FLAG_REAL, &r.temp, 0, 100, "temperature (default 0.8; 0 = greedy)"},
        {"--top-k", FLAG_INT, &r.top_k, 0, 1 << 24,
         "keep the K likeliest (default 40; 0 = off)"},
        {"--top-p", FLAG_REAL, &r.top_p, 0, 1, "nucleus mass (default 0.95; 1 = off)"},
        {"--seed", FLAG_INT, &r.seed, 0, CLI_SEED_MAX,
         "sampling seed (default from the clock)"},
        {"--greedy", FLAG_BOOL, &r.greedy, 0, 0, "always take the likeliest token"},
        {"--speculative", FLAG_BOOL, &r.speculative, 0, 0, SPECULATIVE_HELP},
        {"--no-shift", FLAG_BOOL, &r.no_shift, 0, 0,
         "stop when the context is full (default shift it, keeping half)"},
        {"--backend", FLAG_STR, &r.backend, 0, 0, "cpu, ref or tpu (default cpu)"},
        {"--threads", FLAG_INT, &r.threads, 1, CLI_THREADS_MAX,
         "cpu threads, at most 64 used (default all CPUs)"},
        {"--act-quant", FLAG_STR, &r.act_quant_name, 0, 0, BACKEND_ACT_QUANT_HELP},
        {"--json", FLAG_BOOL, &r.json, 0, 0, "print one JSON object instead of the text"},
        {"--tpu-report", FLAG_STR, &r.tpu_report, 0, 0,
         "tpu: per-tensor table (JSON with --json) to FILE"},
    };
    tpu_cli_defaults(&r.tpu_flags);
    tpu_cli_flags(&r.tpu_flags, flags + OWN_FLAGS);
    int npos;
    int rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (!r.model) return cli_usage(argv[0], "-m ART is required");
    if (r.prompt && r.file) return cli_usage(argv[0], "give -p or -f, not both");
    if ((rc = tpu_cli_backend(argv[0], r.backend, r.tpu_report, &r.tpu_flags, &r.tpu)))
        return rc;
    titan_status st = backend_act_quant(r.act_quant_name, r.backend, &r.act_quant);
    if (st) return cli_fail(argv[0], st);
    if (r.seed < 0)
        r.seed =
            (int64_t)((uint64_t)time(NULL) ^ (uint64_t)getpid() << 16) & 0xffffffffffff;
    return run(argv[0], &r);
}
