# server/src/acme: certificates from an ACME CA (Let's Encrypt), the "letsencrypt" section.
list(APPEND MW_SERVER_SOURCES src/acme/acme.cpp src/acme/lets_encrypt.cpp)
