/* cmd_pack.c: `titan pack` (not implemented yet). */
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"

int cmd_pack(int argc, char **argv) {
    (void)argc;
    return cli_usage(argv[0], "not implemented yet");
}
