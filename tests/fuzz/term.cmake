mw_fuzz_target(term term_fuzz.cpp)
# The emulator's own sources are compiled into the target as well, with libFuzzer's coverage
# instrumentation (libmw_shared is built without it, which would leave the fuzzer blind to the
# code under test); the linker then takes these objects instead of the library's.
file(GLOB _mw_term_fuzz_sources ${PROJECT_SOURCE_DIR}/shared/src/term/*.cpp)
target_sources(fuzz_term PRIVATE ${_mw_term_fuzz_sources})
target_include_directories(fuzz_term PRIVATE ${PROJECT_SOURCE_DIR}/shared/src/term)
