mw_fuzz_target(rfb rfb_fuzz.cpp)
# The codec's sources are compiled into the target with libFuzzer's coverage instrumentation
# (libmw_shared is built without it); the linker takes these objects instead of the library's.
file(GLOB _mw_rfb_fuzz_sources ${PROJECT_SOURCE_DIR}/shared/src/rfb/*.cpp)
target_sources(fuzz_rfb PRIVATE ${_mw_rfb_fuzz_sources})
