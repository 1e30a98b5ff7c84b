# server/src/store: the store interface, record rules, the SQLite and PostgreSQL backends, AsyncStore.
list(APPEND MW_SERVER_SOURCES
  src/store/store.cpp
  src/store/records.cpp
  src/store/sqlite_store.cpp
  src/store/pg_store.cpp
  src/store/async_store.cpp)
