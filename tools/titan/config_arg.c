/* config_arg.c: --preset NAME or --config CFG.json. */
#include "tools/titan/config_arg.h"

#include "tools/cli/cli.h"

int config_arg_load(const char *cmd, const char *preset, const char *path,
                    titan_config *c) {
    if (!preset == !path) return cli_usage(cmd, "give one of --preset and --config");
    titan_status st;
    if (preset) {
        st = titan_config_preset(preset, c);
    } else {
        titan_arena a;
        st = cli_arena_create(&a, 4 * TITAN_CONFIG_FILE_MAX);
        if (st == TITAN_OK)
            st = cli_kind_explain(titan_config_file_load(&a, path, c), path,
                                  CLI_KIND_JSON);
        cli_arena_destroy(&a);
    }
    return st == TITAN_OK ? CLI_EXIT_OK : cli_fail(cmd, st);
}

const char *config_arg_presets(void) {
    static char text[512];
    cli_join(titan_config_preset_names(), " | ", text, sizeof text);
    return text;
}
