# Native dependencies, all from Debian's -dev packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
# Intel ISA-L (Debian libisal-dev): shared/rfb inflates ZRLE and Tight with its igzip natively.
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)
find_package(pugixml REQUIRED)
if(MW_BUILD_TESTS OR MW_BUILD_FUZZ)
  find_package(GTest REQUIRED)
endif()
if(MW_BUILD_BENCH AND NOT MW_BUILD_FUZZ)
  find_package(benchmark REQUIRED)
endif()

# Boost.Beast/Asio are header-only; compile Asio's and Beast's separate-compilation units once.
add_library(mw_boost INTERFACE)
target_link_libraries(mw_boost INTERFACE Boost::headers Threads::Threads OpenSSL::SSL OpenSSL::Crypto)
target_compile_definitions(mw_boost INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
# Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility> (g++ 12, C++20).
target_compile_options(mw_boost INTERFACE -include utility)
include(D3des)
