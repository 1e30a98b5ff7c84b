# shared/util: base64, hex, bounds-checked byte reader/writer.
list(APPEND MW_SHARED_SOURCES src/util/base64.cpp src/util/hex.cpp src/util/bytes.cpp)
