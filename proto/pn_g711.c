/* pn_g711.c: placeholder until its module lands. */
#include "pn_common.h"
