// Backend-independent rules about records: MeshCentral ids, which documents are acceptable, the
// columns derived from them, event/power time handling, and the --dbexport/--dbimport document
// format (validation of a whole import before anything is written). No SQL here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace mw::server::store {

// "<type>/<domain>/<value>" (the domain may be empty: "user//admin").
struct RecordId {
  std::string type;
  std::string domain;
  std::string value;
};
// Parses an id; nullopt unless type and value are non-empty and there is no control character.
std::optional<RecordId> parse_record_id(std::string_view id);

// Types whose "_id" must be "<type>/<domain>/<value>" with that type.
bool is_id_type(std::string_view type);

// A main document checked and its indexed columns.
struct MainRecord {
  std::string id;
  std::optional<std::string> type;
  std::optional<std::string> domain;
  std::optional<std::string> meshid;   // any document's "meshid" (nodes, lastconnect, ...)
  std::optional<std::string> amtuuid;  // nodes: intelamt.uuid
};
mw::Result<MainRecord> check_main(const Json& doc);

// An event checked: columns, dispatch targets, and the document without "time" (and without
// "type" when it was "event", as MeshCentral's old main-collection events carried).
struct EventRecord {
  std::int64_t time_ms = 0;
  std::optional<std::string> domain, etype, action, userid, nodeid, meshid;
  std::vector<std::string> targets;  // "ids" minus "*"
  Json doc;
};
// `now_ms` is used when the event has no time; nullopt makes a missing time an error (imports).
mw::Result<EventRecord> check_event(const Json& event, std::optional<std::int64_t> now_ms);

struct PowerRecord {
  std::int64_t time_ms = 0;
  std::string nodeid;
  Json doc;  // without "time" (and "type" when it was "power")
};
mw::Result<PowerRecord> check_power(const Json& event, std::optional<std::int64_t> now_ms);

// Puts "time" back as MeshCentral exports and shows it.
Json with_time(Json doc, std::int64_t time_ms);

// ISO 8601 UTC with milliseconds, as JavaScript's Date.toJSON(): "2024-05-01T10:00:00.000Z".
std::string format_time(std::int64_t ms);
// Accepts a number (ms since epoch) or an ISO 8601 string (Z or +hh:mm offset, any fraction).
std::optional<std::int64_t> parse_time(const Json& v);
std::int64_t now_ms();

// MeshCentral escapes '%', '.', '$', ',' in the keys of "links", "ssh" and "rdp" (NeDB and
// MongoDB refuse '.' and '$' in field names), so exports made from those backends carry
// "%2E"-style keys. Exports are written escaped; imports are unescaped.
Json escape_link_keys(Json doc);
Json unescape_link_keys(Json doc);

// A whole import checked: documents in input order, split by destination.
struct ImportPlan {
  std::vector<std::pair<MainRecord, Json>> records;
  std::vector<EventRecord> events;
  std::vector<PowerRecord> power;
};
// The input must be a JSON array of objects. Documents of type "event" and "power" go to their
// tables (they need a time; "_id" is optional for them); everything else needs what check_main
// asks, and "_id"s must be unique. The first problem found is the error, naming the element.
mw::Result<ImportPlan> plan_import(const Json& data);

// Serialises a document for storage (invalid UTF-8 replaced rather than thrown).
std::string dump(const Json& doc);

}  // namespace mw::server::store
