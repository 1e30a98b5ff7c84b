mw_fuzz_target(apf apf_fuzz.cpp)
