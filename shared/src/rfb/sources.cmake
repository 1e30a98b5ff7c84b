# shared/rfb: RFB client state machine, decoders (Raw, CopyRect, RRE, Hextile, ZRLE, Tight+JPEG),
# framebuffer, captures. DES for VNC authentication is D3DES from Debian's libvncserver source
# package (cmake/NativeDeps.cmake / WasmDeps.cmake build it as mw_d3des).
list(APPEND MW_SHARED_SOURCES src/rfb/pixel_format.cpp src/rfb/framebuffer.cpp src/rfb/messages.cpp)
list(APPEND MW_SHARED_SOURCES src/rfb/decoder.cpp src/rfb/client.cpp src/rfb/capture.cpp)
