# shared/redir: Intel AMT redirection protocol (SOL, IDE-R and KVM session start, authentication).
list(APPEND MW_SHARED_SOURCES src/redir/messages.cpp src/redir/auth.cpp src/redir/decoder.cpp
  src/redir/client_session.cpp src/redir/device_session.cpp)
