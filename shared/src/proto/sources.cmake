# shared/proto: control-channel messages (JSON) shared by server and wasm client.
list(APPEND MW_SHARED_SOURCES src/proto/control.cpp)
