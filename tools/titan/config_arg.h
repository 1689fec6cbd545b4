/* config_arg.h: a command's model config from --preset NAME or --config
 * CFG.json (titan init, titan plan). */
#ifndef TITAN_TOOLS_CONFIG_ARG_H
#define TITAN_TOOLS_CONFIG_ARG_H

#include "titan.h"

/* The config of exactly one of preset and path; returns an exit code (a
 * usage message when both or neither are given). */
int config_arg_load(const char *cmd, const char *preset, const char *path,
                    titan_config *c);

/* "zenyx-v2-base | ... " for a flag's help. */
const char *config_arg_presets(void);

#endif
