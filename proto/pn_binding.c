/* pn_binding.c: placeholder until its module lands. */
#include "pn_common.h"
