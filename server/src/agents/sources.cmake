# server/src/agents: the agent channel (/agent.ashx), connected agents, the browser ⇄ agent relay.
list(APPEND MW_SERVER_SOURCES src/agents/agent_keys.cpp src/agents/registry.cpp src/agents/admission.cpp
  src/agents/agent_session.cpp src/agents/mesh_relay.cpp src/agents/agent_downloads.cpp src/agents/lan_discovery.cpp)
