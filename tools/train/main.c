/* main.c: `titan-train COMMAND ...`. */
#include "tools/cli/cli.h"
#include "tools/train/train_commands.h"

static const cli_command commands[] = {
#define TRAIN_COMMAND_ENTRY(name, summary) {#name, train_cmd_##name, summary},
    TRAIN_COMMAND_LIST(TRAIN_COMMAND_ENTRY)
#undef TRAIN_COMMAND_ENTRY
};

int main(int argc, char **argv) {
    return cli_dispatch("titan-train", commands, sizeof commands / sizeof *commands, argc,
                        argv);
}
