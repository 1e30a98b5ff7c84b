# server/src/agents: admission and sysinfo records, relay rights and limits, the agent proof keys,
# the settings file and install script.
list(APPEND MW_SERVER_TEST_SOURCES agents/agents_test.cpp agents/lan_discovery_test.cpp)
