/* pn_io.c: placeholder until the packet layer lands. */
#include "pn_engine.h"
