/* driver_files.c: placeholder until implemented. */
#include "util.h"
