mw_fuzz_target(rfb rfb_fuzz.cpp)
mw_fuzz_target(input_filter input_filter_fuzz.cpp MODULE rfb)
