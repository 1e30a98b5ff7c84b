mw_fuzz_target(rfb rfb_fuzz.cpp)
