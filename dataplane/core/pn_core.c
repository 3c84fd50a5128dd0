/* pn_core.c: placeholder until the call engine lands. */
#include "pn_engine.h"
