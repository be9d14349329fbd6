/* util.h - C functions for tests/extern/job.flow (flowc's extern "util.h" block). The types
 * come from the runtime's header: fl_i64, double, fl_bool and fl_str (a slice, by value). */
#include "flowrt.h"

fl_i64 digit_sum(fl_i64 n);
double half(double x);
fl_bool is_vowel_word(fl_str s);
fl_str tail(fl_str s);
fl_str size_name(fl_i64 n);
