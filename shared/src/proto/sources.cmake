# shared/proto: control-channel messages (JSON) shared by server and wasm client; the agent
# channel and the agent's settings file, shared by server and agent.
list(APPEND MW_SHARED_SOURCES src/proto/control.cpp src/proto/agent.cpp src/proto/device_info.cpp src/proto/admin.cpp)
