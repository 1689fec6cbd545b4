/* cmd_pack.c: `titan pack (--safetensors IN --config CFG.json --tokenizer TOK
 * | --ckpt CKPT) -o ART [--quant f32|f16|bf16|int8|int6|mixed] [--codec C]
 * [--budget BYTES] ...`. Every tensor the config names must be in the input
 * with its SPEC shape (1-D as [n], 2-D as [rows, cols]); a safetensors input
 * may hold nothing else, except that a tensor may come quantized as NAME.q
 * (I8) and NAME.scale (one per row), stored as it is (prequant.h). f32 keeps
 * the values bit for bit; half types round to nearest even; int8/int6 use round-to-nearest with clip search (policy in
 * tools/titan/storage.h), or with --method gptq --calib TEXT GPTQ, each row on
 * the clip whose GPTQ output error is least (gptq_requantize.c). --drop-mtp leaves out heads 2..M (mtp_heads becomes 1).
 * --merge-lora folds a xenith model's LoRA adapters into their weights before
 * quantization (lora_merge.h).
 * --int6-layout stores int6 tensors bit-packed, one per byte, or (auto)
 * whichever makes the smaller file with the chosen codec. --codec auto codes
 * each section and each tensor group (formats/artifact_format.h) with the
 * smallest of none/lzma/xz/brotli, as is or byte-shuffled, and prints the
 * choices (--json: "codec_choices", with every trial's bytes). --embed-split N
 * --embed-counts FILE keeps the token rows of the N most frequent ids int8 and
 * rounds the others to int6's range in the same INT8 tensor (embed_split.h).
 *
 * --budget: the size is known before anything is written, so a file over the
 * budget is never written (an existing one stays as it was); --with-code
 * counts the code that runs the artifact too (submission.h). Progress on a
 * terminal for quantization, GPTQ and the codec. */
#include "platform/file.h"
#include "quant/dtype.h"
#include "quant/quant.h"
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"
#include "tools/titan/embed_split.h"
#include "tools/titan/gptq_calibrate.h"
#include "tools/titan/pack_hadamard.h"
#include "tools/titan/pack_input.h"
#include "tools/titan/lora_merge.h"
#include "tools/titan/prequant.h"
#include "tools/titan/storage.h"
#include "tools/titan/submission.h"
#include "tools/titan/tok_io.h"

#include <stdlib.h>
#include <string.h>

typedef enum { LAYOUT_PACKED, LAYOUT_BYTE, LAYOUT_AUTO } int6_layout;
static const char *const layout_names[] = {"packed", "byte", "auto"};

typedef struct {
    const char *st_path, *cfg_path, *tok_path, *ckpt, *weights, *out, *quant, *overrides,
        *calib,        /* calib: GPTQ calibration text, NULL for RTN */
        *ngram,        /* n-gram table of titan eval --tilt, or NULL */
        *embed_counts; /* --embed-counts: token counts, or NULL (no split) */
    titan_codec codec;
    int6_layout layout;
    int64_t budget, group_size, clip_steps, calib_tokens, embed_split;
    bool drop_mtp, json, gptq_report, with_code, hadamard, merge_lora;
    uint64_t max_bytes; /* the file's budget (0: none): --budget less the code */
} pack_args;

/* What pack builds: the tensors written and their order. */
typedef struct {
    titan_config c;
    titan_tensor t[TITAN_MAX_TENSORS];
    gptq_stat gptq[TITAN_MAX_TENSORS];          /* with --method gptq */
    hadamard_error hadamard[TITAN_MAX_TENSORS]; /* with --hadamard */
    int n_hadamard;
    bool split[TITAN_MAX_TENSORS]; /* token rows split int8/int6 (--embed-split) */
    int *row_qmax;                 /* [vocab]: each token row's range, or NULL */
    int n;
    uint64_t bytes;
    bool has_int6;                     /* some tensor was bit-packed int6 */
    int6_layout chosen;                /* packed or byte, when has_int6 */
    uint64_t packed_bytes, byte_bytes; /* file with each int6 layout, 0 = not built */
    titan_codec_report codecs;         /* codec auto: what each section/group chose */
} pack_out;

/* Tensor spec's floats into f: pre-quantized (NAME.q + NAME.scale,
 * prequant.h; pq->q stays NULL otherwise) dequantized, else as given. */
static titan_status load_weights(titan_arena *a, const pack_input *in,
                                 const titan_tensor_spec *spec, titan_tensor *f,
                                 prequant *pq) {
    bool pre;
    TITAN_TRY(prequant_find(&in->st, in->prefix, spec, pq, &pre));
    if (pre) return prequant_dequant(a, pq, (float **)&f->data);
    return pack_input_f32(a, in, spec, (float **)&f->data);
}

/* t from f: pre-quantized tensors keep their integers and scales. */
static titan_status store_weights(titan_arena *a, const pack_args *p,
                                  const titan_tensor *f, const prequant *pq,
                                  const int *row_qmax, titan_tensor *t) {
    if (pq->q) return prequant_store(a, pq, t);
    if (row_qmax)
        return embed_split_quantize(a, (float *)f->data, row_qmax, (int)p->clip_steps, t);
    if (!titan_dtype_get(t->dtype)->quantized) return TITAN_OK;
    return storage_quantize(a, (float *)f->data, (int)p->clip_steps, t);
}

static titan_status read_plain(titan_arena *a, const pack_args *p, pack_input *in) {
    uint8_t *file;
    size_t len;
    TITAN_TRY(titan_file_read(a, p->st_path, SIZE_MAX / 4, &file, &len));
    TITAN_TRY(cli_kind_explain(titan_safetensors_parse(a, file, len, &in->st), p->st_path,
                               CLI_KIND_SAFETENSORS));
    TITAN_TRY(cli_kind_explain(titan_config_file_load(a, p->cfg_path, &in->config),
                               p->cfg_path, CLI_KIND_JSON));
    in->prefix = "";
    return TITAN_OK;
}

static titan_status read_inputs(titan_arena *a, const pack_args *p, pack_input *in) {
    if (p->ckpt)
        TITAN_TRY(cli_kind_explain(pack_input_from_ckpt(a, p->ckpt, p->weights, in),
                                   p->ckpt, CLI_KIND_CHECKPOINT));
    else
        TITAN_TRY(read_plain(a, p, in));
    if (p->tok_path) /* replaces a checkpoint's own tokenizer */
        TITAN_TRY(tok_io_file(a, p->tok_path, &in->tok, &in->tok_len));
    if (p->ckpt && !in->tok_len)
        return titan_fail(TITAN_E_DATA,
                          "%s has no tokenizer (trained on shards): "
                          "give --tokenizer TOK",
                          p->ckpt);
    in->ngram = NULL;
    in->ngram_len = 0;
    if (p->ngram) {
        uint8_t *table;
        TITAN_TRY(
            titan_file_read(a, p->ngram, TITAN_NGRAM_MAX_BYTES, &table, &in->ngram_len));
        in->ngram = table;
    }
    return TITAN_OK;
}

/* Build the file; write it to path when it is at most max bytes (0: any). */
static titan_status write_tensors(titan_arena *a, const pack_args *p,
                                  const pack_input *in, pack_out *o, const char *path,
                                  uint64_t max, uint64_t *bytes) {
    cli_progress prog;
    cli_progress_start(&prog, p->codec == TITAN_CODEC_NONE ? "writing" : "encoding",
                       "MB");
    prog.scale = 1e6;
    titan_progress hook = cli_progress_hook(&prog);
    titan_write_options w = {.codec = p->codec,
                             .max_bytes = max,
                             .progress = &hook,
                             .ngram = in->ngram,
                             .ngram_len = in->ngram_len,
                             .report =
                                 &o->codecs}; /* the last file built: the one kept */
    titan_status st = titan_artifact_write_with(a, &o->c, in->tok, in->tok_len, o->t,
                                                o->n, &w, path, bytes);
    cli_progress_end(&prog);
    return st;
}

/* Write o->t with its int6 tensors in the chosen layout, if it fits the
 * budget. auto measures the bit-packed file, then writes the one-per-byte
 * file only when it is smaller (ties keep bit-packed: it takes less memory),
 * else the bit-packed one. */
static titan_status write_layout(titan_arena *a, const pack_args *p, const pack_input *in,
                                 pack_out *o) {
    for (int i = 0; i < o->n; i++) o->has_int6 |= o->t[i].dtype == TITAN_DT_INT6;
    o->chosen = LAYOUT_PACKED;
    if (!o->has_int6 || p->layout == LAYOUT_PACKED) {
        TITAN_TRY(write_tensors(a, p, in, o, p->out, p->max_bytes, &o->bytes));
        if (o->has_int6) o->packed_bytes = o->bytes;
        return TITAN_OK;
    }
    titan_tensor *packed;
    TITAN_TRY(titan_arena_alloc(a, sizeof o->t, TITAN_ALIGN, (void **)&packed));
    memcpy(packed, o->t, sizeof o->t);
    uint64_t max = p->max_bytes;
    if (p->layout == LAYOUT_AUTO) {
        TITAN_TRY(write_tensors(a, p, in, o, NULL, 0, &o->packed_bytes));
        if (o->packed_bytes > 1 && (!max || o->packed_bytes - 1 < max))
            max = o->packed_bytes - 1; /* written only if smaller than packed */
    }
    TITAN_TRY(storage_int6_as_bytes(a, o->t, o->n));
    TITAN_TRY(write_tensors(a, p, in, o, p->out, max, &o->byte_bytes));
    o->bytes = o->byte_bytes;
    o->chosen = LAYOUT_BYTE;
    if (p->layout == LAYOUT_BYTE || o->byte_bytes < o->packed_bytes) return TITAN_OK;
    o->chosen = LAYOUT_PACKED;
    memcpy(o->t, packed, sizeof o->t);
    return write_tensors(a, p, in, o, p->out, p->max_bytes, &o->bytes);
}

/* --embed-split: which tensors split (stored INT8, each row int8 or int6 by
 * the counts) and each token row's range. */
static titan_status plan_split(titan_arena *a, const pack_args *p, const pack_input *in,
                               const titan_tensor_spec *specs, titan_dtype *types,
                               pack_out *o) {
    int32_t vocab = o->c.vocab_size;
    if (p->embed_split > vocab)
        return titan_fail(TITAN_E_USAGE, "--embed-split %lld: at most the vocabulary, %d",
                          (long long)p->embed_split, vocab);
    for (int i = 0; i < o->n; i++) {
        if (!embed_split_applies(&specs[i], vocab)) continue;
        if (!titan_dtype_get(types[i])->quantized)
            return titan_fail(TITAN_E_USAGE,
                              "--embed-split: %s is %s; the split needs quantized "
                              "token rows (--quant int6 or mixed)",
                              specs[i].name, titan_dtype_name(types[i]));
        o->split[i] = true, types[i] = TITAN_DT_INT8;
    }
    uint64_t *counts;
    TITAN_TRY(titan_arena_alloc(a, (size_t)vocab * sizeof *counts, TITAN_ALIGN,
                                (void **)&counts));
    TITAN_TRY(embed_split_counts(p->embed_counts, in->tok, in->tok_len, vocab, counts));
    return embed_split_ranges(a, counts, vocab, (int32_t)p->embed_split, &o->row_qmax);
}

/* A quantized matrix GPTQ would take: per-row scales, 2-D. */
static bool gptq_wanted(const titan_tensor *t) {
    return titan_dtype_get(t->dtype)->quantized && !t->group_size && t->ndim == 2;
}

/* --gptq-report: per matrix with a Hessian, the output error of RTN and GPTQ;
 * a matrix without calibration rows (an expert no token was routed to) stays
 * round-to-nearest. */
static void print_gptq_table(const pack_out *o) {
    fprintf(stderr, "%-32s %-5s %10s %12s %12s %8s\n", "tensor", "type", "calib rows",
            "rtn error", "gptq error", "ratio");
    for (int i = 0; i < o->n; i++) {
        const gptq_stat *g = &o->gptq[i];
        if (!g->calib_rows && gptq_wanted(&o->t[i]))
            fprintf(stderr, "%-32s %-5s %10d %12s %12s %8s\n", o->t[i].name,
                    titan_dtype_name(o->t[i].dtype), 0, "rtn", "-", "-");
        if (!g->calib_rows) continue;
        fprintf(stderr, "%-32s %-5s %10lld %12.4e %12.4e %8.4f\n", o->t[i].name,
                titan_dtype_name(o->t[i].dtype), (long long)g->calib_rows, g->rtn_error,
                g->gptq_error, g->rtn_error > 0 ? g->gptq_error / g->rtn_error : 1);
    }
}

/* After GPTQ: the matrices it could not take (no calibration rows), named:
 * an untied tok_emb or mem.slots (read, never multiplied) or an expert. */
static void note_rtn_fallback(const pack_out *o) {
    int k = 0;
    for (int i = 0; i < o->n; i++) k += !o->gptq[i].calib_rows && gptq_wanted(&o->t[i]);
    if (!k) return;
    fprintf(stderr,
            "gptq: %d matri%s never multiplied in calibration (lookup tables, "
            "experts no calibration token was routed to) stay round-to-nearest:",
            k, k == 1 ? "x" : "ces");
    for (int i = 0, shown = 0; i < o->n && shown < 8; i++)
        if (!o->gptq[i].calib_rows && gptq_wanted(&o->t[i]))
            fprintf(stderr, "%s %s", shown++ ? "," : "", o->t[i].name);
    fprintf(stderr, "%s\n", k > 8 ? ", ..." : "");
}

/* GPTQ's two progress lines: calibration, then the solves. */
typedef struct {
    cli_progress calib, solve;
} gptq_lines;

static void gptq_solved(void *user, double done, double total) {
    gptq_lines *g = user;
    cli_progress_end(&g->calib); /* its line is finished */
    cli_progress_update(&g->solve, done, total);
}

/* --merge-lora on a model without adapters: refused, or a note (lora_rank 0). */
static titan_status merge_check(const pack_args *p, const titan_config *c) {
    bool noop;
    TITAN_TRY(lora_merge_check(c, p->ckpt ? p->ckpt : p->cfg_path, &noop));
    if (noop)
        fprintf(stderr, "titan pack: --merge-lora: lora_rank is 0, nothing to merge; "
                        "weights packed as they are\n");
    return TITAN_OK;
}

/* lora_merge_read over the input tensors. */
static titan_status read_adapter(void *user, titan_arena *a,
                                 const titan_tensor_spec *spec, const float **f) {
    float *v;
    TITAN_TRY(pack_input_f32(a, user, spec, &v));
    *f = v;
    return TITAN_OK;
}

static titan_status pack(titan_arena *a, const pack_args *p, pack_out *o) {
    pack_input in;
    TITAN_TRY(read_inputs(a, p, &in));
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n_in = titan_config_tensors(&in.config, specs, TITAN_MAX_TENSORS), n_pre;
    TITAN_TRY(prequant_count(&in.st, in.prefix, specs, n_in, &n_pre));
    if (!p->ckpt && in.st.n_tensors != n_in + n_pre)
        return titan_fail(TITAN_E_DATA, "%s has %d tensors, the config names %d",
                          p->st_path, in.st.n_tensors - n_pre, n_in);
    o->c = in.config;
    if (p->drop_mtp) o->c.mtp_heads = 1;
    if (p->merge_lora) TITAN_TRY(merge_check(p, &in.config));
    if (p->merge_lora) o->c = lora_merge_config(&o->c);
    o->n = titan_config_tensors(&o->c, specs, TITAN_MAX_TENSORS);
    titan_dtype types[TITAN_MAX_TENSORS];
    TITAN_TRY(storage_choose_types(p->quant, p->overrides, specs, o->n, types));
    if (p->embed_counts) TITAN_TRY(plan_split(a, p, &in, specs, types, o));
    titan_tensor *f; /* float32 copies: the calibration model */
    TITAN_TRY(titan_arena_alloc(a, (size_t)o->n * sizeof *f, TITAN_ALIGN, (void **)&f));
    prequant pq[TITAN_MAX_TENSORS];
    int n_pre_used = 0;
    for (int i = 0; i < o->n; i++) {
        titan_tensor *t = &o->t[i];
        int q = titan_dtype_get(types[i])->quantized;
        *t = (titan_tensor){.dtype = types[i],
                            .ndim = specs[i].ndim,
                            .rows = specs[i].rows,
                            .cols = specs[i].cols,
                            .group_size = q && p->group_size < specs[i].cols
                                              ? (int32_t)p->group_size
                                              : 0};
        memcpy(t->name, specs[i].name, sizeof t->name);
        f[i] = *t;
        f[i].dtype = TITAN_DT_F32, f[i].group_size = 0;
        TITAN_TRY(load_weights(a, &in, &specs[i], &f[i], &pq[i]));
        n_pre_used += pq[i].q != NULL;
        if (o->split[i] && pq[i].q)
            return titan_fail(TITAN_E_USAGE,
                              "--embed-split: %s comes pre-quantized (%s.q); "
                              "it splits float weights",
                              specs[i].name, specs[i].name);
    }
    if (p->merge_lora && n_pre_used)
        return titan_fail(TITAN_E_USAGE,
                          "--merge-lora folds float weights; the input holds %d "
                          "pre-quantized tensors",
                          n_pre_used);
    if (p->merge_lora) TITAN_TRY(lora_merge(a, &in.config, f, o->n, read_adapter, &in));
    if (p->hadamard && n_pre_used)
        return titan_fail(TITAN_E_USAGE,
                          "--hadamard turns float weights; the input "
                          "holds %d pre-quantized tensors",
                          n_pre_used);
    if (p->hadamard)
        TITAN_TRY(pack_hadamard_fold(a, &o->c, f, o->n, o->hadamard, &o->n_hadamard));
    double params = (double)titan_config_params(&o->c), done = 0;
    cli_progress prog;
    cli_progress_start(&prog, "quantizing", "M weights");
    prog.scale = 1e6;
    for (int i = 0; i < o->n; i++) {
        titan_tensor *t = &o->t[i];
        TITAN_TRY(
            store_weights(a, p, &f[i], &pq[i], o->split[i] ? o->row_qmax : NULL, t));
        cli_progress_update(&prog, done += (double)(t->rows * t->cols), params);
    }
    cli_progress_end(&prog);
    if (p->calib) {
        gptq_lines g;
        cli_progress_start(&g.calib, "gptq calibration", "tokens");
        cli_progress_start(&g.solve, "gptq", "M weights");
        g.solve.scale = 1e6;
        gptq_calib pc = {.c = &o->c,
                         .tok = in.tok,
                         .tok_len = in.tok_len,
                         .max_tokens = p->calib_tokens,
                         .clip_steps = (int)p->clip_steps,
                         .split = o->split,
                         .row_qmax = o->row_qmax,
                         .calibration = cli_progress_hook(&g.calib),
                         .solve = {gptq_solved, &g}};
        uint8_t *text;
        TITAN_TRY(titan_file_read(a, p->calib, SIZE_MAX / 8, &text, &pc.text_len));
        pc.text = text;
        titan_status st = gptq_requantize(a, &pc, f, o->t, o->n, o->gptq);
        cli_progress_end(&g.calib);
        cli_progress_end(&g.solve);
        TITAN_TRY(st);
        note_rtn_fallback(o);
    }
    for (int i = 0; i < o->n; i++) /* float types last: halves convert in place */
        if (!titan_dtype_get(o->t[i].dtype)->quantized)
            TITAN_TRY(
                storage_quantize(a, (float *)f[i].data, (int)p->clip_steps, &o->t[i]));
    return write_layout(a, p, &in, o);
}

static uint64_t stored_bytes(const titan_tensor *t) {
    titan_tensor_layout_t l;
    return titan_tensor_layout(t->dtype, t->rows, t->cols, t->group_size, &l)
               ? 0
               : l.total_bytes; /* a stored tensor's layout is valid */
}

/* Over budget: each tensor's stored bytes and its estimated share of the file
 * (stored bytes times the file's overall compression ratio). */
static void print_size_table(const pack_out *o) {
    uint64_t raw = 0;
    for (int i = 0; i < o->n; i++) raw += stored_bytes(&o->t[i]);
    double ratio = raw ? (double)o->bytes / (double)raw : 1;
    fprintf(stderr, "%-24s %-5s %12s %12s  (estimate: stored x file/raw %.3f)\n",
            "tensor", "type", "stored", "in file", ratio);
    for (int i = 0; i < o->n; i++)
        fprintf(stderr, "%-24s %-5s %12llu %12.0f\n", o->t[i].name,
                titan_dtype_name(o->t[i].dtype),
                (unsigned long long)stored_bytes(&o->t[i]),
                (double)stored_bytes(&o->t[i]) * ratio);
}

/* --hadamard: each turned matrix's int6 error before and after. */
static void print_hadamard_table(const pack_out *o) {
    fprintf(stderr, "%-24s %12s %12s %8s\n", "hadamard", "int6 before", "int6 after",
            "ratio");
    for (int i = 0; i < o->n_hadamard; i++) {
        const hadamard_error *e = &o->hadamard[i];
        fprintf(stderr, "%-24s %12.4e %12.4e %8.4f\n", e->name, e->before, e->after,
                e->before > 0 ? e->after / e->before : 1);
    }
}

/* Codec auto: each section's and tensor group's codec, shuffle and sizes. */
static void print_codec_table(const titan_codec_report *r) {
    printf("%-14s %-7s %7s %12s %12s\n", "group", "codec", "shuffle", "raw", "stored");
    for (int i = 0; i < r->n; i++)
        printf("%-14s %-7s %7d %12llu %12llu\n", r->c[i].name,
               titan_codec_name(r->c[i].codec), r->c[i].shuffle,
               (unsigned long long)r->c[i].raw_bytes,
               (unsigned long long)r->c[i].stored_bytes);
}

static void json_codecs(const titan_codec_report *r) {
    printf(", \"codec_choices\": [");
    for (int i = 0; i < r->n; i++) {
        const titan_codec_choice *c = &r->c[i];
        printf("%s{\"group\": \"%s\", \"codec\": \"%s\", \"shuffle\": %d, "
               "\"raw_bytes\": %llu, \"stored_bytes\": %llu, \"tried\": {",
               i ? ", " : "", c->name, titan_codec_name(c->codec), c->shuffle,
               (unsigned long long)c->raw_bytes, (unsigned long long)c->stored_bytes);
        for (int k = 0, m = 0; k < 4; k++) {
            const char *name = titan_codec_name((titan_codec)k);
            if (c->plain[k])
                printf("%s\"%s\": %llu", m++ ? ", " : "", name,
                       (unsigned long long)c->plain[k]);
            if (c->shuffled[k])
                printf("%s\"%s_shuffled\": %llu", m++ ? ", " : "", name,
                       (unsigned long long)c->shuffled[k]);
        }
        printf("}}");
    }
    printf("]");
}

static void json_size(const char *key, uint64_t bytes) {
    if (bytes)
        printf(", \"%s\": %llu", key, (unsigned long long)bytes);
    else
        printf(", \"%s\": null", key);
}

/* One object: sizes, the int6 layout choice and (gptq) per matrix errors. */
static void print_json(const pack_args *p, const pack_out *o, bool written,
                       const submission_code *code) {
    printf("{\"bytes\": %llu, \"written\": %s, \"quant\": \"%s\", \"codec\": \"%s\", "
           "\"method\": \"%s\", ",
           (unsigned long long)o->bytes, written ? "true" : "false", p->quant,
           titan_codec_name(p->codec), p->calib ? "gptq" : "rtn");
    if (p->with_code)
        printf("\"code_bytes\": %llu, \"submission_bytes\": %llu, ",
               (unsigned long long)code->code_bytes,
               (unsigned long long)(o->bytes + code->code_bytes));
    printf("\"int6_layout\": ");
    if (o->has_int6)
        printf("\"%s\"", layout_names[o->chosen]);
    else
        printf("null");
    json_size("int6_packed_bytes", o->packed_bytes);
    json_size("int6_byte_bytes", o->byte_bytes);
    json_codecs(&o->codecs);
    printf(", \"gptq\": [");
    for (int i = 0, k = 0; p->calib && i < o->n; i++) {
        const gptq_stat *g = &o->gptq[i];
        if (!titan_dtype_get(o->t[i].dtype)->quantized) continue;
        printf("%s{\"tensor\": \"%s\", \"type\": \"%s\", \"calib_rows\": %lld",
               k++ ? ", " : "", o->t[i].name, titan_dtype_name(o->t[i].dtype),
               (long long)g->calib_rows);
        if (g->calib_rows)
            printf(", \"rtn_error\": %.17g, \"gptq_error\": %.17g}", g->rtn_error,
                   g->gptq_error);
        else
            printf(", \"rtn_error\": null, \"gptq_error\": null}");
    }
    printf("], \"embed_split\": ");
    if (o->row_qmax)
        printf("%lld", (long long)p->embed_split);
    else
        printf("null");
    printf(", \"hadamard\": [");
    for (int i = 0; i < o->n_hadamard; i++)
        printf("%s{\"tensor\": \"%s\", \"int6_before\": %.17g, \"int6_after\": %.17g}",
               i ? ", " : "", o->hadamard[i].name, o->hadamard[i].before,
               o->hadamard[i].after);
    printf("]}\n");
}

static const char usage[] =
    "titan pack (--safetensors IN --config CFG.json --tokenizer TOK | --ckpt CKPT) "
    "-o ART [--quant Q] [--method rtn|gptq --calib TEXT] [--codec C] [--budget BYTES "
    "[--with-code]] [--ngram NGRAM]\n"
    "  over --budget nothing is written (an existing ART stays as it was)\n"
    "example: titan pack --ckpt run.ckpt -o model.tart --quant mixed --method gptq "
    "--calib train.txt --codec brotli --budget 16000000";

static int parse_args(int argc, char **argv, pack_args *p) {
    const char *codec = "none", *method = "rtn", *calib = NULL, *layout = "auto";
    const cli_flag flags[] = {
        {"--safetensors", FLAG_STR, &p->st_path, 0, 0,
         "weights (F32/F16/BF16; NAME.q I8 + NAME.scale kept as they are)"},
        {"--config", FLAG_STR, &p->cfg_path, 0, 0, "config JSON (SPEC section 1 keys)"},
        {"--tokenizer", FLAG_STR, &p->tok_path, 0, 0,
         "TOK file or SentencePiece .model (with --ckpt: replaces its own)"},
        {"--ckpt", FLAG_STR, &p->ckpt, 0, 0,
         "titan-train checkpoint instead of the three above"},
        {"--weights", FLAG_STR, &p->weights, 0, 0,
         "checkpoint weights: raw|ema|swa (default its export choice)"},
        {CLI_OUT, FLAG_STR, &p->out, 0, 0, "artifact to write"},
        {"--quant", FLAG_STR, &p->quant, 0, 0,
         "f32 | f16 | bf16 | int8 | int6 | mixed (default f32)"},
        {"--tensor-quant", FLAG_STR, &p->overrides, 0, 0,
         "GLOB=TYPE[,GLOB=TYPE...] per tensor"},
        {"--group-size", FLAG_INT, &p->group_size, 0, 1 << 30,
         "values per scale (default 0, one scale per row)"},
        {"--clip-steps", FLAG_INT, &p->clip_steps, 1, 100,
         "clips 1.00, 0.99, ... tried per row, rtn and gptq (default 21)"},
        {"--method", FLAG_STR, &method, 0, 0, "rtn | gptq (default rtn)"},
        {"--calib", FLAG_STR, &calib, 0, 0,
         "calibration text (gptq), e.g. training text"},
        {"--calib-tokens", FLAG_INT, &p->calib_tokens, 1, 1 << 30,
         "most calibration tokens (default 65536)"},
        {"--drop-mtp", FLAG_BOOL, &p->drop_mtp, 0, 0, "leave out MTP heads 2..M"},
        {"--merge-lora", FLAG_BOOL, &p->merge_lora, 0, 0,
         "fold LoRA adapters into their weights (X + s B A; lora_rank becomes 0)"},
        {"--codec", FLAG_STR, &codec, 0, 0,
         "none | lzma | xz | brotli | auto: per tensor group the smallest, "
         "byte-shuffled where it wins (default none)"},
        {"--budget", FLAG_INT, &p->budget, 1, CLI_BYTES_MAX,
         "fail, writing nothing, if the file exceeds BYTES"},
        {"--with-code", FLAG_BOOL, &p->with_code, 0, 0,
         "the budget counts the stripped titan binary too (compressed)"},
        {"--int6-layout", FLAG_STR, &layout, 0, 0,
         "packed | byte | auto: smaller file (default auto)"},
        {"--json", FLAG_BOOL, &p->json, 0, 0,
         "print one JSON object (sizes, gptq errors)"},
        {"--gptq-report", FLAG_BOOL, &p->gptq_report, 0, 0,
         "gptq: error table on stderr"},
        {"--ngram", FLAG_STR, &p->ngram, 0, 0,
         "store this n-gram table (titan-train ngram) for titan eval --tilt"},
        {"--embed-split", FLAG_INT, &p->embed_split, 0, 1 << 30,
         "token rows of the N most frequent ids int8, the rest int6 (with "
         "--embed-counts)"},
        {"--embed-counts", FLAG_STR, &p->embed_counts, 0, 0,
         "token counts for --embed-split: .bin shards (glob) or text"},
        {"--hadamard", FLAG_BOOL, &p->hadamard, 0, 0,
         "turn attention v/o pairs by a Hadamard matrix first (int6 errors on stderr)"},
    };
    char *pos[1];
    int npos;
    int rc = cli_parse(argc, argv, usage, flags, pos, 0, &npos);
    if (rc) return rc;
    for (p->layout = LAYOUT_PACKED; p->layout <= LAYOUT_AUTO; p->layout++)
        if (!strcmp(layout, layout_names[p->layout])) break;
    if (p->layout > LAYOUT_AUTO)
        return cli_usage(argv[0], "--int6-layout %s: packed, byte or auto", layout);
    int gptq = !strcmp(method, "gptq");
    if (!gptq && strcmp(method, "rtn"))
        return cli_usage(argv[0], "--method %s: rtn or gptq", method);
    if (gptq != !!calib)
        return cli_usage(argv[0], "--method gptq and --calib FILE go together");
    if (p->gptq_report && !gptq)
        return cli_usage(argv[0], "--gptq-report goes with --method gptq");
    p->calib = calib;
    if ((p->embed_split >= 0) != !!p->embed_counts)
        return cli_usage(argv[0], "--embed-split N and --embed-counts FILE go together");
    if (titan_codec_from_name(codec, &p->codec) != TITAN_OK)
        return cli_fail(argv[0], TITAN_E_USAGE);
    if (p->ckpt ? p->st_path || p->cfg_path
                : !p->st_path || !p->cfg_path || !p->tok_path || p->weights)
        return cli_usage(argv[0], "give --ckpt, or --safetensors, --config and "
                                  "--tokenizer (--weights goes with --ckpt)");
    if (!p->out) return cli_usage(argv[0], "-o is required");
    if (p->with_code && p->budget < 0)
        return cli_usage(argv[0], "--with-code needs --budget");
    const char *outputs[] = {p->out};
    return cli_outputs_check(argv[0], outputs, 1);
}

/* The file's share of the budget: all of it, or what the code leaves. */
static int file_budget(const char *cmd, pack_args *p, submission_code *code) {
    if (p->budget < 0) return CLI_EXIT_OK;
    titan_status st = p->with_code ? submission_code_size(p->codec, code) : TITAN_OK;
    if (st != TITAN_OK) return cli_fail(cmd, st);
    uint64_t need = p->with_code ? code->code_bytes : 0;
    if (need >= (uint64_t)p->budget) {
        fprintf(stderr, "%s: the code alone (%llu bytes) fills the budget of %lld\n", cmd,
                (unsigned long long)need, (long long)p->budget);
        return CLI_EXIT_FAIL;
    }
    p->max_bytes = (uint64_t)p->budget - need;
    return CLI_EXIT_OK;
}

int cmd_pack(int argc, char **argv) {
    pack_args p = {.budget = -1,
                   .quant = "f32",
                   .clip_steps = TITAN_QUANT_CLIP_STEPS,
                   .embed_split = -1,
                   .calib_tokens = 65536};
    int rc = parse_args(argc, argv, &p);
    CLI_RETURN_IF_DONE(rc);
    submission_code code = {0};
    if ((rc = file_budget(argv[0], &p, &code))) return rc;
    size_t in_bytes;
    titan_status st = titan_file_size(p.ckpt ? p.ckpt : p.st_path, &in_bytes);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    /* Input file, float32 copies (2x for half inputs), quantized copies, the
     * writer's raw data and file: at most 8x the input, mostly never touched. */
    titan_arena a;
    if (in_bytes > SIZE_MAX / 16 ||
        cli_arena_create(&a, 8 * in_bytes + (64u << 20)) != TITAN_OK)
        return CLI_EXIT_FAIL;
    pack_out *o = calloc(1, sizeof *o);
    st = o ? pack(&a, &p, o) : TITAN_E_NOMEM;
    cli_arena_destroy(&a);
    if (st != TITAN_OK) {
        free(o);
        return cli_fail(argv[0], st);
    }
    bool over = p.max_bytes && o->bytes > p.max_bytes; /* then nothing was written */
    if (p.json)
        print_json(&p, o, !over, &code);
    else if (!over) {
        char split[48] = "";
        if (o->row_qmax)
            snprintf(split, sizeof split, ", embed split %lld", (long long)p.embed_split);
        cli_wrote(false, p.out, "%llu bytes (%s, codec %s%s%s%s)",
                  (unsigned long long)o->bytes, p.quant, titan_codec_name(p.codec),
                  o->has_int6 ? ", int6 " : "",
                  o->has_int6 ? layout_names[o->chosen] : "", split);
    }
    if (p.codec == TITAN_CODEC_AUTO && !p.json) print_codec_table(&o->codecs);
    if (p.with_code && !p.json) submission_print(o->bytes, p.codec, &code, p.budget);
    if (p.gptq_report) print_gptq_table(o);
    if (p.hadamard) print_hadamard_table(o);
    if (over) {
        fprintf(stderr,
                "titan pack: %s would be %llu bytes%s, over the budget of %lld: not "
                "written\n",
                p.out, (unsigned long long)o->bytes, p.with_code ? " with the code" : "",
                (long long)p.budget);
        print_size_table(o);
    }
    free(o);
    return over ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
