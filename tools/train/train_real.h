/* train_real.h: the trainer's scalar type. The ops and the model are written
 * once against `real` and compiled twice: float (the trainer) and, through
 * train_model_double.c, double (finite-difference gradient checks). TR(name) gives
 * each build its own symbols, prefixed so they never collide with the
 * runtime's: train_name for float, train_name_d for double. */
#ifndef TITAN_TRAIN_REAL_H
#define TITAN_TRAIN_REAL_H

#ifdef TRAIN_DOUBLE
typedef double real;
#define TR(name) train_##name##_d
#else
typedef float real;
#define TR(name) train_##name
#endif

#endif
