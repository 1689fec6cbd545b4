/* tilt.c: the n-gram logit tilt of titan eval --tilt (titan.h): the hinted
 * token's probability times e^beta, renormalized exactly. */
#include "titan.h"

#include <math.h>

double titan_tilt_nll(double nll, double hint_nll, bool hit, double beta) {
    /* ln Z = ln(1 + p(h) (e^beta - 1)); log1p/expm1 keep small beta exact. */
    double log_z = log1p(exp(-hint_nll) * expm1(beta));
    return nll - (hit ? beta : 0.0) + log_z;
}
