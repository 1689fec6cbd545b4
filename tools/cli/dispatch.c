/* dispatch.c: `PROG COMMAND ...` for the titan and titan-train front ends. */
#include "tools/cli/cli.h"

#include <string.h>

static int usage(FILE *out, const char *prog, const cli_command *cmds, size_t n, int rc) {
    fprintf(out, "usage: %s COMMAND [options]   (%s COMMAND --help; %s --version)\n\n",
            prog, prog, prog);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-11s %s\n", cmds[i].name, cmds[i].summary);
    return rc;
}

int cli_dispatch(const char *prog, const cli_command *cmds, size_t n, int argc,
                 char **argv) {
    if (argc < 2) return usage(stderr, prog, cmds, n, CLI_EXIT_USAGE);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout, prog, cmds, n, CLI_EXIT_OK);
    if (!strcmp(argv[1], "--version")) {
        printf("%s %s\n", prog, TITAN_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], cmds[i].name)) continue;
        char label[64];
        snprintf(label, sizeof label, "%s %s", prog, cmds[i].name);
        argv[1] = label; /* the command sees itself as argv[0] */
        return cmds[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
    return usage(stderr, prog, cmds, n, CLI_EXIT_USAGE);
}
