mw_bench(apf apf_bench.cpp)
