# shared/apf: Intel AMT Port Forwarding Protocol (CIRA) codec and the MPS / device sessions.
list(APPEND MW_SHARED_SOURCES src/apf/messages.cpp src/apf/decoder.cpp src/apf/session.cpp
  src/apf/mps_session.cpp src/apf/device_session.cpp)
