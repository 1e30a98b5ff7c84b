# server/src/peers: several servers as one (the "peers" section of config.json).
list(APPEND MW_SERVER_SOURCES src/peers/peer_settings.cpp src/peers/peering.cpp)
