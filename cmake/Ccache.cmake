# Use ccache for every compiler launch when it is installed (scripts/setup.sh installs it).
find_program(MW_CCACHE ccache)
if(MW_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER ${MW_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${MW_CCACHE})
endif()
