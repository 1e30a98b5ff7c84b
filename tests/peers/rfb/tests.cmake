# Peer tests of shared/rfb: the client and decoders against TigerVNC's Xvnc, with xwud/xwd
# (x11-apps), xdotool, xrandr (x11-xserver-utils) and vncpasswd (tigervnc-tools).
list(APPEND MW_PEER_TEST_SOURCES rfb/xvnc_test.cpp)
