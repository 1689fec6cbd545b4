/* main.c: `titan COMMAND ...` dispatch. */
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

static const command commands[] = {
#define TITAN_COMMAND_ENTRY(name, summary) {#name, cmd_##name, summary},
    TITAN_COMMAND_LIST(TITAN_COMMAND_ENTRY)
#undef TITAN_COMMAND_ENTRY
};

static int usage(FILE *out, int rc) {
    fprintf(out, "usage: titan COMMAND [options]   (titan COMMAND --help)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(stderr, CLI_EXIT_USAGE);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout, CLI_EXIT_OK);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name)) continue;
        char label[64];
        snprintf(label, sizeof label, "titan %s", commands[i].name);
        argv[1] = label;
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "titan: unknown command '%s'\n", argv[1]);
    return usage(stderr, CLI_EXIT_USAGE);
}
