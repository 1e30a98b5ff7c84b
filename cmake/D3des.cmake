# DES for RFB's VNC authentication: D3DES by Richard Outerbridge (public domain), in the VNC variant
# (reversed key bit order) that Debian's libvncserver source package ships as common/d3des.c.
# scripts/setup.sh unpacks that package into MW_SRC_CACHE; the same file serves native and wasm
# builds (OpenSSL is not used in wasm, and OpenSSL 3 hides DES in its legacy provider).
if(NOT DEFINED MW_SRC_CACHE)
  if(DEFINED ENV{MW_CACHE})
    set(_mw_cache_default "$ENV{MW_CACHE}/src")
  else()
    set(_mw_cache_default "$ENV{HOME}/.cache/meshwork/src")
  endif()
  set(MW_SRC_CACHE "${_mw_cache_default}" CACHE PATH "Unpacked Debian source packages")
endif()
set(_d3des ${MW_SRC_CACHE}/libvncserver/common)
if(NOT EXISTS "${_d3des}/d3des.c")
  message(FATAL_ERROR "${_d3des}/d3des.c is missing: run scripts/setup.sh first")
endif()
add_library(mw_d3des STATIC ${_d3des}/d3des.c)
target_include_directories(mw_d3des PRIVATE ${_d3des})
target_compile_options(mw_d3des PRIVATE -O2 -w)
set_target_properties(mw_d3des PROPERTIES POSITION_INDEPENDENT_CODE ON)
