# shared/wsman: WS-Management envelopes, typed AMT calls and logs, HTTP/1.1 framing, Digest auth.
list(APPEND MW_SHARED_SOURCES src/wsman/xml.cpp src/wsman/envelope.cpp src/wsman/enumeration.cpp
  src/wsman/amt.cpp src/wsman/amt_logs.cpp src/wsman/amt_log_text.cpp src/wsman/http.cpp src/wsman/digest.cpp src/wsman/client.cpp)
