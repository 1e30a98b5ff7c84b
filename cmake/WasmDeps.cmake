# WebAssembly dependencies. Emscripten ports do not work on Debian (frozen cache, no downloads), so
# Dear ImGui, zlib, libjpeg-turbo and pugixml are compiled from the Debian source packages that
# scripts/setup.sh unpacks into MW_SRC_CACHE (default ~/.cache/meshwork/src).
if(DEFINED ENV{MW_CACHE})
  set(_mw_cache_default "$ENV{MW_CACHE}/src")
else()
  set(_mw_cache_default "$ENV{HOME}/.cache/meshwork/src")
endif()
set(MW_SRC_CACHE "${_mw_cache_default}" CACHE PATH "Unpacked Debian source packages for the wasm build")
foreach(pkg imgui zlib libjpeg-turbo pugixml)
  if(NOT EXISTS "${MW_SRC_CACHE}/${pkg}/.unpacked")
    message(FATAL_ERROR "${MW_SRC_CACHE}/${pkg} is missing: run scripts/setup.sh first")
  endif()
endforeach()

# Exceptions are part of the codec contract only at the edges (nlohmann parse errors), but they
# must work in wasm.
add_compile_options(-fexceptions)
add_link_options(-fexceptions)

# Header-only libraries come through a folder that holds only them: -I/usr/include would pull
# glibc headers into the wasm build.
set(MW_WASM_HDR ${CMAKE_BINARY_DIR}/header-only)
file(COPY /usr/include/nlohmann DESTINATION ${MW_WASM_HDR})
add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
target_include_directories(nlohmann_json::nlohmann_json INTERFACE ${MW_WASM_HDR})

# zlib
set(_z ${MW_SRC_CACHE}/zlib)
add_library(mw_zlib STATIC
  ${_z}/adler32.c ${_z}/compress.c ${_z}/crc32.c ${_z}/deflate.c ${_z}/gzclose.c ${_z}/gzlib.c
  ${_z}/gzread.c ${_z}/gzwrite.c ${_z}/infback.c ${_z}/inffast.c ${_z}/inflate.c ${_z}/inftrees.c
  ${_z}/trees.c ${_z}/uncompr.c ${_z}/zutil.c)
target_include_directories(mw_zlib SYSTEM PUBLIC ${_z})
target_compile_definitions(mw_zlib PRIVATE HAVE_UNISTD_H)
target_compile_options(mw_zlib PRIVATE -O3 -msimd128 -w)
add_library(ZLIB::ZLIB ALIAS mw_zlib)

# pugixml
set(_p ${MW_SRC_CACHE}/pugixml)
add_library(mw_pugixml STATIC ${_p}/src/pugixml.cpp)
target_include_directories(mw_pugixml SYSTEM PUBLIC ${_p}/src)
target_compile_options(mw_pugixml PRIVATE -O2 -w)
add_library(pugixml::pugixml ALIAS mw_pugixml)

# libjpeg-turbo (its own CMake build, SIMD off: wasm has no x86/ARM SIMD paths)
include(ExternalProject)
set(_jpeg_prefix ${CMAKE_BINARY_DIR}/libjpeg-turbo)
ExternalProject_Add(mw_libjpeg_turbo_build
  SOURCE_DIR ${MW_SRC_CACHE}/libjpeg-turbo
  BINARY_DIR ${_jpeg_prefix}/build
  INSTALL_DIR ${_jpeg_prefix}
  CMAKE_ARGS
    -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE}
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_INSTALL_PREFIX=${_jpeg_prefix}
    -DCMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER}
    -DENABLE_SHARED=OFF -DENABLE_STATIC=ON -DWITH_SIMD=OFF -DWITH_TURBOJPEG=ON -DWITH_JAVA=OFF
    -DREQUIRE_SIMD=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=OFF
    # check_type_size runs its probe under the emulator and reads garbage; wasm32 sizes are known.
    -DHAVE_SIZE_T=TRUE -DSIZE_T=4 -DHAVE_UNSIGNED_LONG=TRUE -DUNSIGNED_LONG=4
  BUILD_COMMAND ${CMAKE_COMMAND} --build . --target turbojpeg-static jpeg-static
  INSTALL_COMMAND ${CMAKE_COMMAND} -E make_directory ${_jpeg_prefix}/lib ${_jpeg_prefix}/include
    COMMAND ${CMAKE_COMMAND} -E copy <BINARY_DIR>/libturbojpeg.a <BINARY_DIR>/libjpeg.a ${_jpeg_prefix}/lib/
    COMMAND ${CMAKE_COMMAND} -E copy ${MW_SRC_CACHE}/libjpeg-turbo/turbojpeg.h ${_jpeg_prefix}/include/
  BUILD_BYPRODUCTS ${_jpeg_prefix}/lib/libturbojpeg.a
  LOG_CONFIGURE ON LOG_BUILD ON)
file(MAKE_DIRECTORY ${_jpeg_prefix}/include)
add_library(mw_turbojpeg STATIC IMPORTED GLOBAL)
set_target_properties(mw_turbojpeg PROPERTIES IMPORTED_LOCATION ${_jpeg_prefix}/lib/libturbojpeg.a
  INTERFACE_INCLUDE_DIRECTORIES ${_jpeg_prefix}/include)
add_dependencies(mw_turbojpeg mw_libjpeg_turbo_build)
add_library(PkgConfig::TURBOJPEG ALIAS mw_turbojpeg)

# Dear ImGui with the GLFW (emscripten's JS implementation) and OpenGL ES 3 / WebGL2 backends.
set(_i ${MW_SRC_CACHE}/imgui)
add_library(mw_imgui STATIC
  ${_i}/imgui.cpp ${_i}/imgui_draw.cpp ${_i}/imgui_tables.cpp ${_i}/imgui_widgets.cpp
  ${_i}/backends/imgui_impl_glfw.cpp ${_i}/backends/imgui_impl_opengl3.cpp)
target_include_directories(mw_imgui SYSTEM PUBLIC ${_i} ${_i}/backends)
target_compile_definitions(mw_imgui PUBLIC IMGUI_DISABLE_OBSOLETE_FUNCTIONS)
target_compile_options(mw_imgui PRIVATE -O2 -w)

# GoogleTest from Debian's sources, for the shared unit tests under Node.
set(gtest_disable_pthreads ON CACHE BOOL "" FORCE)
set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
add_subdirectory(/usr/src/googletest ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
target_compile_options(gtest PRIVATE -w)
target_compile_options(gmock PRIVATE -w)
if(NOT TARGET GTest::gtest)
  add_library(GTest::gtest ALIAS gtest)
  add_library(GTest::gtest_main ALIAS gtest_main)
  add_library(GTest::gmock ALIAS gmock)
endif()
include(D3des)
