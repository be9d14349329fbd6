/* broken.c - a C file that does not compile (tests/extern/run.sh: flowc names it). */
#include "util.h"
fl_i64 digit_sum(fl_i64 n) { return n +; }
