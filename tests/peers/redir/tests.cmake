# Peer tests of tools/amtsim (shared/redir and shared/wsman device sides) against Debian's amtterm
# and MeshCentral's WS-Management stack from npm (meshcentral_wsman.cjs).
# The KVM test draws the expected desktop with the simulator's own screen.cpp.
list(APPEND MW_PEER_TEST_SOURCES redir/amtsim_test.cpp ${PROJECT_SOURCE_DIR}/tools/amtsim/screen.cpp)
