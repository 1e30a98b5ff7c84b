# server/src/files: "My Files", storage on the server for accounts and device groups (/serverfiles.ashx).
list(APPEND MW_SERVER_SOURCES src/files/server_files.cpp)
