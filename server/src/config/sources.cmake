# server/src/config: settings table, config.json + command line loading.
list(APPEND MW_SERVER_SOURCES src/config/schema.cpp src/config/config.cpp)
