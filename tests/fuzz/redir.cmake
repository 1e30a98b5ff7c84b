mw_fuzz_target(redir redir_fuzz.cpp)
