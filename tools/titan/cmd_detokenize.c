/* cmd_detokenize.c: `titan detokenize` (not implemented yet). */
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"

int cmd_detokenize(int argc, char **argv) {
    (void)argc;
    return cli_usage(argv[0], "not implemented yet");
}
