# Peer tests of shared/term: conformance with tmux on real programs' output (native only).
list(APPEND MW_PEER_TEST_SOURCES term/tmux_conformance_test.cpp)
