list(APPEND MW_SERVER_TEST_SOURCES accounts/actions_test.cpp accounts/rights_matrix_test.cpp accounts/service_test.cpp)
