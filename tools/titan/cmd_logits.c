/* cmd_logits.c: `titan logits -m ART --ids FILE [--head K] --out FILE`: the
 * logits of one head for every position of an id sequence (no BOS added),
 * written as little-endian float32 [T][V]. */
#include "core/base/le.h"
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"
#include "tools/titan/runtime.h"
#include "tools/titan/tpu_cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "titan logits -m ART --ids FILE [--head K] --out FILE "
    "[--backend cpu|ref|tpu] [--threads N] [--act-quant exact|q8] [--tpu-array RxC ...]\n"
    "  ids: whitespace-separated integers; out: little-endian float32 [T][V] "
    "of head K (1 = next token)\n"
    "example: echo 256 100 101 | titan logits -m model.tart --ids /dev/stdin -o l.f32";

/* Read the ids file; with ids == NULL only count. Returns an exit code. */
static int read_ids(const char *cmd, const char *path, int32_t *ids, int64_t *n) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s\n", cmd, path);
        return CLI_EXIT_FAIL;
    }
    long long v;
    int got;
    *n = 0;
    while ((got = fscanf(f, "%lld", &v)) == 1 && v >= 0 && v <= INT32_MAX) {
        if (ids) ids[*n] = (int32_t)v;
        (*n)++;
    }
    int bad = got != EOF || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: %s: id %lld is not a non-negative 32-bit integer\n", cmd,
                path, (long long)*n + 1);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* Forward ids in chunks of the batch (a xenith model: its chunk); write
 * each chunk's logits. */
static titan_status write_logits(runtime *rt, const runtime_opts *o, const int32_t *ids,
                                 int T, int head, float *buf, FILE *out) {
    size_t V = (size_t)rt->art.config.vocab_size;
    for (int t = 0; t < T; t += o->batch) {
        int n = T - t < o->batch ? T - t : o->batch;
        titan_status st = rt->x ? titan_xenith_forward(rt->x, ids + t, n, buf)
                                : titan_model_forward(rt->m, rt->s, ids + t, n);
        if (st == TITAN_OK && !rt->x) st = titan_model_logits(rt->m, head, 0, n, buf);
        if (st != TITAN_OK) return st;
        for (size_t i = 0; i < (size_t)n * V; i++) /* in place, to file order */
            le_wrf32((uint8_t *)&buf[i], buf[i]);
        if (fwrite(buf, sizeof *buf * V, (size_t)n, out) != (size_t)n) return TITAN_E_IO;
    }
    return TITAN_OK;
}

static int run(const char *cmd, const char *model, const char *ids_path,
               const char *out_path, int head, runtime_opts *o) {
    int64_t T;
    int rc = read_ids(cmd, ids_path, NULL, &T);
    if (rc) return rc;
    if (T < 1) return cli_usage(cmd, "--ids %s holds no ids", ids_path);
    titan_config c;
    runtime_sizes bytes;
    o->xenith = true;
    o->ctx = (int)(T < CLI_CTX_MAX ? T : CLI_CTX_MAX); /* a xenith stream's length */
    titan_status st = runtime_plan(model, o, &c, &bytes);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    bool xenith = TITAN_XENITH(&c); /* no length limit, one head */
    if (T > c.max_seq_len && !xenith)
        return cli_usage(cmd, "%lld ids exceed max_seq_len %d", (long long)T,
                         c.max_seq_len);
    if (head > (xenith ? 1 : c.mtp_heads))
        return cli_usage(cmd, "--head %d: the model has %d heads", head,
                         xenith ? 1 : c.mtp_heads);
    o->ctx = (int)T;
    o->batch = 0;
    o->extra = 0;
    runtime_stack(&o->extra, (size_t)T * sizeof(int32_t));
    runtime_stack(&o->extra, (size_t)(T < 256 ? T : 256) * c.vocab_size * sizeof(float));
    runtime rt;
    if ((st = runtime_open(model, o, &rt)) != TITAN_OK) return cli_fail(cmd, st);
    int32_t *ids;
    float *buf;
    st =
        titan_arena_alloc(&rt.arena, (size_t)T * sizeof *ids, TITAN_ALIGN, (void **)&ids);
    if (st == TITAN_OK)
        st = titan_arena_alloc(&rt.arena, (size_t)o->batch * c.vocab_size * sizeof *buf,
                               TITAN_ALIGN, (void **)&buf);
    if (st == TITAN_OK && (rc = read_ids(cmd, ids_path, ids, &T)) == CLI_EXIT_OK) {
        FILE *out = fopen(out_path, "wb");
        errno = 0;
        st = out ? write_logits(&rt, o, ids, (int)T, head, buf, out) : TITAN_E_IO;
        int err = errno;
        if (out && fclose(out) && st == TITAN_OK) st = TITAN_E_IO, err = errno;
        if (st == TITAN_OK) {
            cli_wrote(false, out_path, "%lld x %d float32 logits of head %d",
                      (long long)T, c.vocab_size, head);
        } else if (st == TITAN_E_IO) {
            fprintf(stderr, "%s: cannot write %s: %s\n", cmd, out_path,
                    err ? strerror(err) : "write error");
            remove(out_path);
            rc = CLI_EXIT_FAIL;
        } else {
            remove(out_path);
            rc = cli_fail(cmd, st);
        }
    } else if (st != TITAN_OK) {
        rc = cli_fail(cmd, st);
    }
    runtime_close(&rt);
    return rc;
}

int cmd_logits(int argc, char **argv) {
    const char *model = NULL, *ids = NULL, *out = NULL, *act_quant = NULL;
    int64_t head = 1, threads = 0;
    runtime_opts o = {0};
    tpu_cli t;
    titan_tpu_config tpu;
    enum { OWN_FLAGS = 7 }; /* the tpu flags follow these */
    cli_flag flags[OWN_FLAGS + TPU_CLI_NFLAGS] = {
        {"-m|--model", FLAG_STR, &model, 0, 0, "artifact"},
        {"--ids", FLAG_STR, &ids, 0, 0, "file of whitespace-separated ids"},
        {"--head", FLAG_INT, &head, 1, TITAN_MAX_MTP,
         "head K, 1 = next token (default 1)"},
        {CLI_OUT, FLAG_STR, &out, 0, 0, "output file, float32 [T][V]"},
        {"--backend", FLAG_STR, &o.backend, 0, 0, "cpu, ref or tpu (default cpu)"},
        {"--threads", FLAG_INT, &threads, 1, CLI_THREADS_MAX,
         "cpu threads, at most 64 used (default all CPUs)"},
        {"--act-quant", FLAG_STR, &act_quant, 0, 0, BACKEND_ACT_QUANT_HELP},
    };
    tpu_cli_defaults(&t);
    tpu_cli_flags(&t, flags + OWN_FLAGS);
    int npos;
    int rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (!model || !ids || !out)
        return cli_usage(argv[0], "-m, --ids and -o are required");
    const char *outputs[] = {out};
    if ((rc = cli_outputs_check(argv[0], outputs, 1))) return rc;
    if ((rc = tpu_cli_backend(argv[0], o.backend, NULL, &t, &tpu))) return rc;
    titan_status st = backend_act_quant(act_quant, o.backend, &o.act_quant);
    if (st) return cli_fail(argv[0], st);
    o.threads = (int)threads;
    o.tpu = &tpu;
    return run(argv[0], model, ids, out, (int)head, &o);
}
