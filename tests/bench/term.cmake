mw_bench(term term_bench.cpp)
