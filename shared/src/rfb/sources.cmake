# shared/rfb: RFB client state machine, decoders (Raw, CopyRect, RRE, Hextile, ZRLE, Tight+JPEG),
# framebuffer, captures. DES for VNC authentication is D3DES from Debian's libvncserver source
# package (cmake/NativeDeps.cmake / WasmDeps.cmake build it as mw_d3des).
list(APPEND MW_SHARED_SOURCES src/rfb/pixel_format.cpp src/rfb/framebuffer.cpp src/rfb/messages.cpp)
list(APPEND MW_SHARED_SOURCES src/rfb/decoder.cpp src/rfb/client.cpp src/rfb/capture.cpp src/rfb/intel_amt.cpp
  src/rfb/keyboard.cpp src/rfb/input_filter.cpp src/rfb/clipboard.cpp)
# The decoding loops (fills, pixel conversion, palettes) are written for the vectoriser: -O3 in
# optimised native builds as well (RelWithDebInfo is -O2; the wasm tree is -O3 already).
if(EMSCRIPTEN)
  set(_mw_rfb_hot_options -msimd128)
else()
  set(_mw_rfb_hot_options "$<$<NOT:$<CONFIG:Debug>>:-O3>")
endif()
set_source_files_properties(src/rfb/decoder.cpp src/rfb/pixel_format.cpp src/rfb/framebuffer.cpp
  PROPERTIES COMPILE_OPTIONS "${_mw_rfb_hot_options}")
