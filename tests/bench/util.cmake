mw_bench(util util_bench.cpp)
