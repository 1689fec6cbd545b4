/* main.c: `titan-train COMMAND ...`. */
#include "tools/cli/cli.h"
#include "tools/train/train_commands.h"
#include "tools/train/train_dist.h"

static const cli_command commands[] = {
#define TRAIN_COMMAND_ENTRY(name, summary) {#name, train_cmd_##name, summary},
    TRAIN_COMMAND_LIST(TRAIN_COMMAND_ENTRY)
#undef TRAIN_COMMAND_ENTRY
};

int main(int argc, char **argv) {
    train_dist_start(&argc, &argv);
    return train_dist_end(cli_dispatch("titan-train", commands,
                                       sizeof commands / sizeof *commands, argc, argv));
}
