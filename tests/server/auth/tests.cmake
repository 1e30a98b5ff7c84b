list(APPEND MW_SERVER_TEST_SOURCES auth/password_test.cpp auth/cookie_test.cpp)
