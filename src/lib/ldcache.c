/* ldcache.c: placeholder until implemented. */
#include "util.h"
