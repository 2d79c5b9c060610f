/* volume.c: placeholder until implemented. */
#include "util.h"
