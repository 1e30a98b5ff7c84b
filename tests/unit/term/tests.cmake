# Unit tests of shared/term (native and wasm).
list(APPEND MW_SHARED_TEST_SOURCES term/parser_test.cpp term/screen_test.cpp term/terminal_test.cpp)
list(APPEND MW_SHARED_TEST_SOURCES term/input_test.cpp term/resize_test.cpp term/selection_test.cpp)
list(APPEND MW_SHARED_TEST_SOURCES term/conformance_test.cpp)
