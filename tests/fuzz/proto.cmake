mw_fuzz_target(control control_fuzz.cpp MODULE proto)
