// The server's store: one interface for durable records, whatever the backend (SQLite now,
// PostgreSQL later). Records are JSON documents shaped like MeshCentral's (users, device groups,
// devices, ...) kept with a few indexed columns derived from them; events and power events have
// their own time-indexed tables. Every operation returns a value or an error (mw::Result), never
// throws. Calls block: I/O threads go through AsyncStore (async_store.hpp) instead.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::server::store {

using Json = nlohmann::json;

struct Ok {};
using Status = mw::Result<Ok>;

// Error codes used by the store (Error::code):
//   "bad-record"   a document (or an import file) is not acceptable; message says which and why
//   "bad-argument" a parameter is out of range
//   "not-empty"    import_all into a database that has records, without force
//   "corrupt"      the database file is damaged or is not a database (message names the file)
//   "newer-schema" the file was written by a newer Meshwork (schema version above ours)
//   "not-a-store"  the file is an SQLite database of something else
//   "busy"         another process holds the database lock longer than the busy timeout
//   "io"           disk full, permission, read/write error
//   "sqlite"       any other database error

// Events filter. Results are newest first.
struct EventQuery {
  std::string domain;                 // required ("" is the default domain)
  std::optional<std::string> userid;  // only events with this userid
  std::optional<std::string> nodeid;  // ... this nodeid
  std::optional<std::string> meshid;  // ... this meshid
  std::vector<std::string> targets;   // only events dispatched to one of these ids (event "ids");
                                      // empty = no filter, as MeshCentral's "*"
  std::optional<std::int64_t> from_ms;  // inclusive, ms since epoch
  std::optional<std::int64_t> to_ms;    // inclusive
  int limit = 0;                        // 0 = no limit
};

// Power timeline filter. Results are oldest first (a timeline).
struct PowerQuery {
  std::string nodeid;
  bool include_server_markers = true;  // also nodeid "*" records (server start/stop markers)
  std::optional<std::int64_t> from_ms;
  std::optional<std::int64_t> to_ms;
};

struct ExportOptions {
  // MeshCentral's --dbexport writes only its main collection. Ours adds events and power records
  // as documents of type "event"/"power" (the shape MeshCentral used when they lived in the main
  // collection) so a Meshwork export is a complete backup; turn both off for a strict copy.
  bool events = true;
  bool power = true;
};

struct ImportCounts {
  std::size_t records = 0;  // main documents
  std::size_t events = 0;
  std::size_t power = 0;
};

// Operation kinds counted for /metrics.
enum class Op : std::uint8_t {
  kGet, kPut, kRemove, kList, kCount, kAddEvent, kQueryEvents, kExpireEvents,
  kAddPower, kQueryPower, kExpirePower, kExport, kImport,
};
inline constexpr std::size_t kOpKinds = 13;
std::string_view op_name(Op op);  // "get", "put", ..., "import"

struct OpStats {
  std::string_view op;
  std::uint64_t queries = 0;
  std::uint64_t errors = 0;
  std::uint64_t total_us = 0;  // cumulative latency in microseconds
};

// Lock-free counters a backend updates on each call; stats() reads them at any time.
class StoreCounters {
 public:
  void record(Op op, std::chrono::steady_clock::duration took, bool ok);
  std::vector<OpStats> snapshot() const;

 private:
  struct Slot {
    std::atomic<std::uint64_t> queries{0}, errors{0}, total_us{0};
  };
  std::array<Slot, kOpKinds> slots_;
};

class Store {
 public:
  virtual ~Store() = default;

  // [SECTION] Main records. Each document is a JSON object with a string "_id"; "type" is
  // required unless "_id" has no "/" (MeshCentral keeps a few keyed records such as
  // "SchemaVersion" untyped). Types user/mesh/node/ugrp need "_id" = "<type>/<domain>/<value>",
  // a "domain" (when present) equal to the id's, and nodes a "meshid" of the same domain.
  // Other types are kept as opaque documents.

  // Inserts or replaces the document with that "_id".
  virtual Status put(const Json& doc) = 0;
  // The document, or nullopt when there is none.
  virtual mw::Result<std::optional<Json>> get(std::string_view id) = 0;
  // True when a document was removed.
  virtual mw::Result<bool> remove(std::string_view id) = 0;
  // All documents of a type in a domain, ordered by id.
  virtual mw::Result<std::vector<Json>> list(std::string_view type, std::string_view domain) = 0;
  // The devices (type "node") of a device group, ordered by id.
  virtual mw::Result<std::vector<Json>> list_nodes_by_mesh(std::string_view meshid) = 0;
  // The same as one JSON array text, straight from storage without parsing: the control
  // channel's "nodes" answer for large groups. Device documents never hold secrets (Intel AMT
  // credentials live in records of their own), so they can be sent as stored.
  virtual mw::Result<std::string> list_nodes_by_mesh_text(std::string_view meshid) = 0;
  // The devices of a domain whose intelamt.uuid is `uuid` (CIRA connections find devices so).
  virtual mw::Result<std::vector<Json>> list_nodes_by_amt_uuid(std::string_view domain,
                                                               std::string_view uuid) = 0;
  // Number of documents of a type, in one domain or in all.
  virtual mw::Result<std::int64_t> count(std::string_view type,
                                         std::optional<std::string_view> domain) = 0;

  // [SECTION] Events: { etype, action, msg, domain, userid, username, nodeid, meshid, ids[], ... }.
  // "time" may be ms since epoch, an ISO 8601 string, or absent (now); it is stored as ms and
  // given back as MeshCentral shows it, an ISO 8601 UTC string ("2024-05-01T10:00:00.000Z").
  virtual mw::Result<std::int64_t> add_event(const Json& event) = 0;  // returns the event's row id
  virtual mw::Result<std::vector<Json>> query_events(const EventQuery& q) = 0;
  // Deletes events older than `days` days before now_ms; returns how many.
  virtual mw::Result<std::int64_t> expire_events(int days, std::int64_t now_ms) = 0;

  // [SECTION] Power events: { time, nodeid, power, oldPower, s, server }; nodeid "*" marks the
  // server itself (s: 1 = server start). Time handled as for events.
  virtual Status add_power_event(const Json& event) = 0;
  virtual mw::Result<std::vector<Json>> query_power(const PowerQuery& q) = 0;
  virtual mw::Result<std::int64_t> expire_power_events(int days, std::int64_t now_ms) = 0;

  // [SECTION] Export / import in MeshCentral's --dbexport format: one JSON array of documents.
  virtual mw::Result<Json> export_all(const ExportOptions& opts) = 0;
  // Validates the whole input first; refuses a database with records unless `force` (then
  // replaces everything); writes in one transaction, so it is all or nothing.
  virtual mw::Result<ImportCounts> import_all(const Json& data, bool force) = 0;

  // [SECTION] Counters for /metrics.
  virtual std::vector<OpStats> stats() const = 0;
};

}  // namespace mw::server::store
