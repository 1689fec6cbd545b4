/* artifact_open.h: what commands that read an artifact share: plan its
 * exact load bytes, make the process arena, load it. */
#ifndef TITAN_TOOLS_ARTIFACT_OPEN_H
#define TITAN_TOOLS_ARTIFACT_OPEN_H

#include "titan.h"

/* Exact arena bytes titan_artifact_load needs for path (a temporary scratch
 * arena holds the small sections while planning). */
TITAN_NODISCARD titan_status artifact_plan_bytes(const char *path, size_t *bytes);

/* Create the process arena with the load bytes plus `extra` (for the caller's
 * own carving after the artifact) and load the artifact into it. On failure
 * the arena is already destroyed. */
TITAN_NODISCARD titan_status artifact_open(const char *path, size_t extra, titan_arena *a,
                                           titan_artifact *art);

#endif
