list(APPEND MW_SERVER_TEST_SOURCES config/config_test.cpp)
