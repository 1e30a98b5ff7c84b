list(APPEND MW_SERVER_TEST_SOURCES mail/smtp_test.cpp)
