# tests/server/store: the store (record rules, SQLite backend, events, export/import, crash
# safety, AsyncStore; the PostgreSQL backend against a PostgreSQL the test starts). Test databases live in mkdtemp folders; the MeshCentral sample export is
# read from tests/data.
list(APPEND MW_SERVER_TEST_SOURCES
  store/records_test.cpp
  store/sqlite_store_test.cpp
  store/events_test.cpp
  store/export_import_test.cpp
  store/crash_test.cpp
  store/async_store_test.cpp
  store/pg_store_test.cpp)
