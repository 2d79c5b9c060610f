/* nvml.c: placeholder until implemented. */
#include "util.h"
