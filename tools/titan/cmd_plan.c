/* cmd_plan.c: `titan plan -m ART [--ctx L] [--batch N] [--json]`: the exact
 * arena bytes a run needs. For now that is the artifact load alone (the
 * runtime part for ctx and batch is added in plan_report). */
#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"
#include "tools/titan/commands.h"

#include <inttypes.h>

/* Print the plan: the one place later parts (KV cache, activations) join. */
static int plan_report(size_t artifact_bytes, int64_t ctx,
                       int64_t batch, bool json) {
    if (json)
        printf("{\"ctx\":%" PRId64 ",\"batch\":%" PRId64
               ",\"artifact_bytes\":%zu,\"total_bytes\":%zu}\n",
               ctx, batch, artifact_bytes, artifact_bytes);
    else
        printf("artifact   %zu bytes\ntotal      %zu bytes (ctx %" PRId64
               ", batch %" PRId64 ")\n",
               artifact_bytes, artifact_bytes, ctx, batch);
    return CLI_EXIT_OK;
}

int cmd_plan(int argc, char **argv) {
    const char *model = NULL;
    int64_t ctx = 0, batch = 1;
    bool json = false;
    const cli_flag flags[] = {
        {"-m|--model", FLAG_STR, &model, 0, 0, "artifact"},
        {"--ctx", FLAG_INT, &ctx, 0, 1 << 24, "context length (0: the model's max_seq_len)"},
        {"--batch", FLAG_INT, &batch, 1, 1 << 20, "sequences at once (default 1)"},
        {"--json", FLAG_BOOL, &json, 0, 0, "print one JSON object"},
    };
    char *pos[1];
    int npos;
    int rc = cli_parse(argc, argv, "titan plan -m ART [--ctx L] [--batch N] [--json]",
                       flags, 4, pos, 0, &npos);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    if (!model) return cli_usage(argv[0], "-m ART is required");
    size_t bytes;
    titan_status st = artifact_plan_bytes(model, &bytes);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    return plan_report(bytes, ctx, batch, json);
}
