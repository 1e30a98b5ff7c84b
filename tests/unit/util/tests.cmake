list(APPEND MW_SHARED_TEST_SOURCES util/base64_test.cpp)
list(APPEND MW_SHARED_TEST_SOURCES util/hash_test.cpp)
list(APPEND MW_SHARED_TEST_SOURCES util/units_test.cpp)
