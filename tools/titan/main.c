/* main.c: `titan COMMAND ...`. */
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"

static const cli_command commands[] = {
#define TITAN_COMMAND_ENTRY(name, summary) {#name, cmd_##name, summary},
    TITAN_COMMAND_LIST(TITAN_COMMAND_ENTRY)
#undef TITAN_COMMAND_ENTRY
};

int main(int argc, char **argv) {
    return cli_dispatch("titan", commands, sizeof commands / sizeof *commands, argc,
                        argv);
}
