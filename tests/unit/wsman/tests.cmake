list(APPEND MW_SHARED_TEST_SOURCES wsman/envelope_test.cpp wsman/amt_test.cpp wsman/logs_test.cpp
  wsman/http_test.cpp wsman/digest_test.cpp)
