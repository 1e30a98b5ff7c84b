mw_bench(redir redir_bench.cpp)
