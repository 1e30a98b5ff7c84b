list(APPEND MW_SERVER_TEST_SOURCES acme/acme_test.cpp)
