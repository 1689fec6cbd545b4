/* cmd_train.c: `titan-train train` (not implemented yet). */
#include "tools/cli/cli.h"
#include "tools/train/train_commands.h"

int train_cmd_train(int argc, char **argv) {
    (void)argc;
    return cli_usage(argv[0], "not implemented yet");
}
