list(APPEND MW_SHARED_TEST_SOURCES apf/messages_test.cpp apf/decoder_test.cpp apf/session_test.cpp)
