mw_fuzz_target(term term_fuzz.cpp)
