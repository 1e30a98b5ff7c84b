# server/src/auth: password hashing, encrypted cookies and login tokens.
list(APPEND MW_SERVER_SOURCES src/auth/password.cpp src/auth/cookie.cpp)
