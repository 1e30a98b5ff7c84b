# server/src/files and native/ FileService: paths, jail, quota, who may open which storage.
list(APPEND MW_SERVER_TEST_SOURCES files/file_service_test.cpp files/server_files_test.cpp)
