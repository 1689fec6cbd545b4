/* cmd_serve.c: `titan serve`: an HTTP server with OpenAI's completion and
 * chat endpoints, /v1/score (titan eval --text's val_bpb) and a page at /
 * (tools/titan/serve/). Memory is planned at start-up (serve/slots.h); the
 * server runs until SIGTERM or SIGINT, then finishes and frees everything. */
#include "platform/threads.h"
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"
#include "tools/titan/serve/http.h"
#include "tools/titan/serve/slots.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "titan serve -m ART [--host H] [--port P] [--threads N] [--parallel K] "
    "[--max-body BYTES] [--max-gen N] [--wait S] [--timeout S] [--connections C]\n"
    "  endpoints: POST /v1/completions, POST /v1/chat/completions (OpenAI fields:\n"
    "  prompt/messages, max_tokens, temperature, top_p, top_k, seed, stop, stream),\n"
    "  POST /v1/score {\"text\": ...} (val_bpb as titan eval --text, with the xz\n"
    "  and Brotli baselines), GET /v1/models, GET /health, and a page at /\n"
    "  K requests generate at once, each in a slot planned at start-up; one more\n"
    "  waits up to --wait seconds for a slot, then gets 503; a xenith model (SPEC\n"
    "  section 9) streams in each slot: the longest prompt + --max-gen tokens\n"
    "example: titan serve -m tools/data/model/nano.tart --port 8080";

typedef struct {
    const char *model, *host, *backend;
    int64_t port, threads, parallel, max_body, max_gen, connections, timeout;
    double wait;
} serve_args;

/* The artifact's file name, as /v1/models gives it. */
static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int serve(const char *cmd, const serve_args *a) {
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* every thread made from here on */
    serve_pool_opts po = {a->model,         a->backend,          (int)a->threads,
                          (int)a->parallel, (size_t)a->max_body, (int)a->max_gen,
                          a->wait};
    static serve_pool pool;
    titan_status st = serve_pool_open(&po, &pool);
    if (st) return cli_fail(cmd, st);
    serve_http_opts ho = {
        a->host,         (int)a->port,       (size_t)a->max_body, (int)a->connections,
        (int)a->timeout, base_name(a->model)};
    int port;
    serve_http *h = serve_http_start(&pool, &ho, &port);
    if (!h) {
        serve_pool_close(&pool);
        return CLI_EXIT_FAIL;
    }
    fprintf(stderr,
            "titan serve: %s on http://%s:%d/ (%d slots of context %d, arena %zu "
            "bytes)\n",
            a->model, a->host, port, pool.n, pool.o.ctx, pool.planned);
    int sig = 0;
    do {
        sigwait(&sigs, &sig);
    } while (sig == SIGPIPE);
    fprintf(stderr, "titan serve: signal %d: stopping\n", sig);
    serve_http_stop(h);
    serve_pool_close(&pool);
    return CLI_EXIT_OK;
}

int cmd_serve(int argc, char **argv) {
    serve_args a = {.host = "127.0.0.1",
                    .backend = "cpu",
                    .port = 8080,
                    .parallel = 1,
                    .max_body = 1 << 20,
                    .max_gen = 4096,
                    .connections = 64,
                    .timeout = 30,
                    .wait = 10};
    cli_flag flags[] = {
        {"-m|--model", FLAG_STR, &a.model, 0, 0, "artifact"},
        {"--host", FLAG_STR, &a.host, 0, 0, "address to bind (default 127.0.0.1)"},
        {"--port", FLAG_INT, &a.port, 0, 65535, "port (default 8080; 0 = any free one)"},
        {"--threads", FLAG_INT, &a.threads, 1, CLI_THREADS_MAX,
         "cpu threads per slot (default all CPUs / --parallel)"},
        {"--parallel", FLAG_INT, &a.parallel, 1, SERVE_SLOTS_MAX,
         "requests generating at once, K (default 1)"},
        {"--backend", FLAG_STR, &a.backend, 0, 0, "cpu or ref (default cpu)"},
        {"--max-body", FLAG_INT, &a.max_body, 1024, 1 << 26,
         "largest request body in bytes: prompt or scored text (default 1 MiB)"},
        {"--max-gen", FLAG_INT, &a.max_gen, 1, 1 << 20,
         "most tokens one request generates (default 4096; at most the context of a "
         "titan model)"},
        {"--wait", FLAG_REAL, &a.wait, 0, 3600,
         "seconds a request waits for a free slot before 503 (default 10)"},
        {"--timeout", FLAG_INT, &a.timeout, 1, 3600,
         "seconds an idle connection is kept (default 30)"},
        {"--connections", FLAG_INT, &a.connections, 1, 4096,
         "connections at once; more are refused (default 64)"},
    };
    int npos;
    int rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (!a.model) return cli_usage(argv[0], "-m ART is required");
    if (strcmp(a.backend, "cpu") && strcmp(a.backend, "ref"))
        return cli_usage(argv[0], "--backend is cpu or ref");
    if (!a.threads) {
        int cpus = runtime_cpus(TITAN_POOL_MAX_THREADS);
        a.threads = cpus / a.parallel > 0 ? cpus / a.parallel : 1;
    }
    return serve(argv[0], &a);
}
