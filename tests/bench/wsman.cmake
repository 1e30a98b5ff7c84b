mw_bench(wsman wsman_bench.cpp)
