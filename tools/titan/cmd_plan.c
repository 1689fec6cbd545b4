/* cmd_plan.c: `titan plan` (not implemented yet). */
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"

int cmd_plan(int argc, char **argv) {
    (void)argc;
    return cli_usage(argv[0], "not implemented yet");
}
