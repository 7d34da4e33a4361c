/* The hybrid, the default algorithm (see hybrid.c). */
#ifndef RECSYS_ENGINE_HYBRID_H
#define RECSYS_ENGINE_HYBRID_H

#include "engine/algo.h"

extern const struct algo_ops algo_hybrid;

#endif
