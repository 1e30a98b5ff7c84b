list(APPEND MW_SERVER_TEST_SOURCES web/static_files_test.cpp web/tls_stream_test.cpp)
