mw_fuzz_target(wsman wsman_fuzz.cpp)
