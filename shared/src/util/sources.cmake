# shared/util: base64, hex, bounds-checked byte reader/writer, MD5, SHA-256.
list(APPEND MW_SHARED_SOURCES src/util/base64.cpp src/util/hex.cpp src/util/bytes.cpp)
list(APPEND MW_SHARED_SOURCES src/util/md5.cpp src/util/sha256.cpp)
