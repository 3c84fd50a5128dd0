/* pn_sip.c: placeholder until its module lands. */
#include "pn_common.h"
