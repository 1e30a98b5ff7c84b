# server/src/amt and the WS-Management client it uses, against the simulator's device side
# (tools/amtsim/wsman_device.cpp, sans-I/O) in the same process.
list(APPEND MW_SERVER_TEST_SOURCES amt/wsman_client_test.cpp amt/mps_naming_test.cpp amt/credentials_test.cpp
  ${PROJECT_SOURCE_DIR}/tools/amtsim/wsman_device.cpp)
