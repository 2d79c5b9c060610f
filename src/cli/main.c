#include "nvd.h"
int main(void) { return 0; }
