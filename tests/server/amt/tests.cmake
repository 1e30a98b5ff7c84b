# server/src/amt and the WS-Management client it uses, against the simulator's device side
# (tools/amtsim/wsman_device.cpp, sans-I/O) in the same process; the simulator's KVM (kvm.cpp,
# screen.cpp, behind handlers.cpp's RedirHandler) against shared/rfb's client.
list(APPEND MW_SERVER_TEST_SOURCES amt/wsman_client_test.cpp amt/mps_naming_test.cpp amt/credentials_test.cpp amt/scanner_test.cpp amt/tcp_link_test.cpp
  amt/tls_pipe_test.cpp amt/tls_records_test.cpp
  amt/amtsim_kvm_test.cpp
  ${PROJECT_SOURCE_DIR}/tools/amtsim/wsman_device.cpp ${PROJECT_SOURCE_DIR}/tools/amtsim/kvm.cpp
  ${PROJECT_SOURCE_DIR}/tools/amtsim/screen.cpp ${PROJECT_SOURCE_DIR}/tools/amtsim/handlers.cpp
  ${PROJECT_SOURCE_DIR}/tools/amtsim/console.cpp ${PROJECT_SOURCE_DIR}/tools/amtsim/ider.cpp)
