/* pn_sip_write.c: placeholder until its module lands. */
#include "pn_common.h"
