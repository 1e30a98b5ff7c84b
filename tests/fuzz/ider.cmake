mw_fuzz_target(ider ider_fuzz.cpp)
