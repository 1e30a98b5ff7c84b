# Peer tests of shared/redir's device side, served by tools/amtsim, against Debian's amtterm.
list(APPEND MW_PEER_TEST_SOURCES redir/amtterm_test.cpp)
