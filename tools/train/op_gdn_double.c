/* op_gdn_double.c: the GDN op (op_gdn.c) compiled a second time for double
 * (symbols with a _d suffix), for finite-difference gradient checks, as
 * train_model_double.c does for the other ops. */
#define TRAIN_DOUBLE 1
#include "tools/train/op_gdn.c"
