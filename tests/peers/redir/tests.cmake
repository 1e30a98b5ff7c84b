# Peer tests of tools/amtsim (shared/redir, shared/ider and shared/wsman device sides) against
# Debian's amtterm, MeshCentral's WS-Management stack from npm (meshcentral_wsman.cjs) and its
# server-side IDE-R (meshcentral_ider.cjs, with images made by xorriso and mkfs.fat).
# The KVM test draws the expected desktop with the simulator's own screen.cpp.
list(APPEND MW_PEER_TEST_SOURCES redir/amtsim_test.cpp redir/ider_test.cpp ${PROJECT_SOURCE_DIR}/tools/amtsim/screen.cpp)
