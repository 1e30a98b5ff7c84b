list(APPEND MW_SHARED_TEST_SOURCES ider/session_test.cpp)
