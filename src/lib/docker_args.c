/* docker_args.c: placeholder until implemented. */
#include "util.h"
