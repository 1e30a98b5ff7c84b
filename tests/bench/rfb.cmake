mw_bench(rfb rfb_bench.cpp)
target_compile_definitions(mw_bench_rfb PRIVATE MW_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data")
