/* dispatch.c: `PROG COMMAND ...` for the titan and titan-train front ends. */
#include "tools/cli/cli.h"

#include <errno.h>
#include <string.h>

/* Everything a command printed must have reached stdout: a full disk or a
 * closed pipe is an error (exit 1), never a silent success. */
static int check_stdout(const char *label, int rc) {
    errno = 0;
    bool bad = ferror(stdout);
    if (fflush(stdout) != 0) bad = true;
    int err = errno;
    if (fclose(stdout) != 0 && !bad) bad = true, err = errno;
    if (!bad) return rc;
    if (rc) return rc; /* the command failed already, and said why */
    fprintf(stderr, "%s: cannot write standard output%s%s\n", label, err ? ": " : "",
            err ? strerror(err) : "");
    return CLI_EXIT_FAIL;
}

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
        return check_stdout(prog, usage(stdout, prog, cmds, n, CLI_EXIT_OK));
    if (!strcmp(argv[1], "--version")) {
        printf("%s %s\n", prog, TITAN_VERSION);
        return check_stdout(prog, CLI_EXIT_OK);
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], cmds[i].name)) continue;
        char label[64];
        snprintf(label, sizeof label, "%s %s", prog, cmds[i].name);
        argv[1] = label; /* the command sees itself as argv[0] */
        return check_stdout(label, cmds[i].fn(argc - 1, argv + 1));
    }
    fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
    return usage(stderr, prog, cmds, n, CLI_EXIT_USAGE);
}
