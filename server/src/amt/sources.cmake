# server/src/amt: Intel AMT out-of-band management: the MPS (CIRA), WS-Management over it.
list(APPEND MW_SERVER_SOURCES src/amt/mps_server.cpp src/amt/credentials.cpp src/amt/amt_manager.cpp src/amt/amt_relay.cpp src/amt/tcp_link.cpp src/amt/amt_scanner.cpp
  src/amt/ider_images.cpp src/amt/tls_channel.cpp)
