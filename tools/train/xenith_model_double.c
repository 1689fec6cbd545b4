/* xenith_model_double.c: the Xenith model and its attention op compiled a
 * second time for double (symbols with a _d suffix), for finite-difference
 * gradient checks, as train_model_double.c does for the other ops. */
#define TRAIN_DOUBLE 1
#include "tools/train/op_xenith_attention.c"
#include "tools/train/xenith_backward.c"
#include "tools/train/xenith_forward.c"
#include "tools/train/xenith_memory.c"
#include "tools/train/xenith_model.c"
