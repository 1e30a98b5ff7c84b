# shared/ider: Intel AMT IDE redirection (IDE-R) after the redirection handshake: framing, the
# console end that serves disk images (HostSession) and Intel AMT's end (DeviceSession).
list(APPEND MW_SHARED_SOURCES src/ider/messages.cpp src/ider/host_session.cpp src/ider/device_session.cpp)
