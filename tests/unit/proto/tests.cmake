list(APPEND MW_SHARED_TEST_SOURCES proto/control_test.cpp proto/agent_test.cpp proto/device_info_test.cpp proto/admin_test.cpp)
