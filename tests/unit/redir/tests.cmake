list(APPEND MW_SHARED_TEST_SOURCES redir/messages_test.cpp redir/decoder_test.cpp redir/session_test.cpp)
