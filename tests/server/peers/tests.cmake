list(APPEND MW_SERVER_TEST_SOURCES peers/peers_test.cpp)
