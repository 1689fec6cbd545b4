/* artifact_open.c: plan, allocate, load (see artifact_open.h). */
#include "tools/titan/artifact_open.h"

#include "tools/cli/cli.h"

/* Room for the config, tokenizer and directory of any sane artifact and
 * their decoders; pages never touched cost nothing. */
#define PLAN_SCRATCH ((size_t)64 << 20)

titan_status artifact_plan_bytes(const char *path, size_t *bytes) {
    titan_arena scratch;
    titan_status st = cli_arena_create(&scratch, PLAN_SCRATCH);
    if (st != TITAN_OK) return st;
    st = titan_artifact_plan(&scratch, path, bytes);
    cli_arena_destroy(&scratch);
    return cli_kind_explain(st, path, CLI_KIND_ARTIFACT);
}

titan_status artifact_open(const char *path, size_t extra, titan_arena *a,
                           titan_artifact *art) {
    size_t bytes;
    titan_status st = artifact_plan_bytes(path, &bytes);
    if (st != TITAN_OK) return st;
    if (extra > SIZE_MAX - bytes) return TITAN_E_NOMEM;
    st = cli_arena_create(a, bytes + extra);
    if (st != TITAN_OK) return st;
    st = titan_artifact_load(a, path, art);
    if (st != TITAN_OK) cli_arena_destroy(a);
    return st;
}
