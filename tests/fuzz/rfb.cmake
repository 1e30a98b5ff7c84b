mw_fuzz_target(rfb rfb_fuzz.cpp)
mw_fuzz_target(view_only view_only_fuzz.cpp MODULE rfb)
