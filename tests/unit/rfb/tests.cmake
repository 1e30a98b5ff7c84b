# Unit tests of shared/rfb (native and wasm).
list(APPEND MW_SHARED_TEST_SOURCES rfb/pixel_format_test.cpp rfb/decoder_test.cpp rfb/client_test.cpp
  rfb/intel_amt_test.cpp rfb/capture_test.cpp rfb/keyboard_test.cpp rfb/input_filter_test.cpp rfb/clipboard_test.cpp)
