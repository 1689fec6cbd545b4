/* submission.h: budget experiments as parameter-golf counts them: the
 * artifact plus the code needed to run it, here the stripped `titan` binary
 * compressed with the artifact's codec ("total submission size"). */
#ifndef TITAN_TOOLS_SUBMISSION_H
#define TITAN_TOOLS_SUBMISSION_H

#include "titan.h"

#include <stdint.h>

typedef struct {
    uint64_t binary_bytes; /* the running titan, stripped */
    uint64_t code_bytes;   /* that, compressed with the codec */
} submission_code;

/* Strip the running binary (strip(1) from binutils, into a temporary file)
 * and compress it with codec. TITAN_E_IO when strip is missing or fails. */
TITAN_NODISCARD titan_status submission_code_size(titan_codec codec,
                                                  submission_code *out);

/* "total submission size" lines on stdout: the artifact, the code and their
 * sum, against the budget (budget < 0: none). */
void submission_print(uint64_t artifact_bytes, titan_codec codec,
                      const submission_code *code, int64_t budget);

#endif
