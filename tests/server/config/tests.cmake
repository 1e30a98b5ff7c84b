list(APPEND MW_SERVER_TEST_SOURCES config/config_test.cpp config/docs_test.cpp)
