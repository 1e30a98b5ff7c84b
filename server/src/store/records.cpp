// Record rules shared by every backend: ids, document checks, derived columns, times, link-key
// escaping and import validation (see records.hpp).
#include "store/records.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_set>

namespace mw::server::store {

namespace {

constexpr std::size_t kMaxIdLength = 1024;

mw::Error bad(std::string message) { return mw::make_error("bad-record", std::move(message)); }

bool has_control_char(std::string_view s) {
  for (const unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// A string field: absent or null gives nullopt; another type is an error (returned in `err`).
std::optional<std::string> opt_string(const Json& doc, const char* key, std::string& err) {
  const auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    err = std::string("\"") + key + "\" must be a string";
    return std::nullopt;
  }
  return it->get<std::string>();
}

bool parse_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

std::optional<std::int64_t> parse_iso_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+hh:mm|-hh:mm)
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 20 || !parse_digits(s, 0, 4, y) || s[4] != '-' || !parse_digits(s, 5, 2, mo) ||
      s[7] != '-' || !parse_digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !parse_digits(s, 11, 2, h) || s[13] != ':' || !parse_digits(s, 14, 2, mi) || s[16] != ':' ||
      !parse_digits(s, 17, 2, se)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!parse_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !parse_digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;  // no zone: JavaScript would read local time; refuse to guess
  }
  if (pos != s.size() || h > 23 || mi > 59 || se > 60) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto days_since = sys_days{ymd}.time_since_epoch().count();
  return ((static_cast<std::int64_t>(days_since) * 24 + h) * 60 + mi - offset_min) * 60000 +
         static_cast<std::int64_t>(std::min(se, 59)) * 1000 + ms;
}

std::string escape_key(const std::string& k) {
  if (k.find_first_of("%.$,") == std::string::npos) return k;
  std::string out;
  for (const char c : k) {
    switch (c) {
      case '%': out += "%25"; break;
      case '.': out += "%2E"; break;
      case '$': out += "%24"; break;
      case ',': out += "%2C"; break;
      default: out += c;
    }
  }
  return out;
}

std::string unescape_key(const std::string& k) {
  if (k.find('%') == std::string::npos) return k;
  std::string out;
  for (std::size_t i = 0; i < k.size(); ++i) {
    if (k[i] == '%' && i + 2 < k.size()) {
      const std::string_view code(k.data() + i + 1, 2);
      char c = 0;
      if (code == "25") c = '%';
      else if (code == "2E") c = '.';
      else if (code == "24") c = '$';
      else if (code == "2C") c = ',';
      if (c != 0) {
        out += c;
        i += 2;
        continue;
      }
    }
    out += k[i];
  }
  return out;
}

template <typename F>
Json map_link_keys(Json doc, F&& f) {
  if (!doc.is_object()) return doc;
  for (const char* field : {"links", "ssh", "rdp"}) {
    const auto it = doc.find(field);
    if (it == doc.end() || !it->is_object()) continue;
    Json out = Json::object();
    for (auto& [k, v] : it->items()) out[f(k)] = std::move(v);
    *it = std::move(out);
  }
  return doc;
}

}  // namespace

std::optional<RecordId> parse_record_id(std::string_view id) {
  if (id.size() > kMaxIdLength || has_control_char(id)) return std::nullopt;
  const auto a = id.find('/');
  if (a == std::string_view::npos || a == 0) return std::nullopt;
  const auto b = id.find('/', a + 1);
  if (b == std::string_view::npos || b + 1 >= id.size()) return std::nullopt;
  return RecordId{std::string(id.substr(0, a)), std::string(id.substr(a + 1, b - a - 1)),
                  std::string(id.substr(b + 1))};
}

bool is_id_type(std::string_view type) {
  return type == "user" || type == "mesh" || type == "node" || type == "ugrp";
}

mw::Result<MainRecord> check_main(const Json& doc) {
  if (!doc.is_object()) return bad("a record must be a JSON object");
  const auto id_it = doc.find("_id");
  if (id_it == doc.end() || !id_it->is_string()) return bad("a record needs a string \"_id\"");
  MainRecord r;
  r.id = id_it->get<std::string>();
  if (r.id.empty() || r.id.size() > kMaxIdLength || has_control_char(r.id)) {
    return bad("\"_id\" must be 1 to 1024 printable characters");
  }
  std::string err;
  r.type = opt_string(doc, "type", err);
  if (!err.empty()) return bad(err);
  if (r.type && r.type->empty()) return bad("\"type\" must not be empty");
  if (!r.type && r.id.find('/') != std::string::npos) {
    return bad("record \"" + r.id + "\" has no \"type\" (only keyed records such as "
               "\"SchemaVersion\" may be untyped)");
  }
  if (r.type && (*r.type == "event" || *r.type == "power")) {
    return bad("\"" + *r.type + "\" records belong to the events/power tables, not the main records");
  }
  // An id that looks like a user/mesh/node/ugrp id must be a record of that type.
  const auto prefix_end = r.id.find('/');
  if (prefix_end != std::string::npos) {
    const std::string prefix = r.id.substr(0, prefix_end);
    if (is_id_type(prefix) && (!r.type || *r.type != prefix)) {
      return bad("record \"" + r.id + "\" has type \"" + r.type.value_or("") + "\" but a " +
                 prefix + " id");
    }
  }
  const auto domain_field = opt_string(doc, "domain", err);
  if (!err.empty()) return bad(err);
  if (r.type && is_id_type(*r.type)) {
    const auto rid = parse_record_id(r.id);
    if (!rid || rid->type != *r.type) {
      return bad("\"" + r.id + "\" is not a " + *r.type + " id (" + *r.type + "/<domain>/<value>)");
    }
    if (domain_field && *domain_field != rid->domain) {
      return bad("record \"" + r.id + "\" has \"domain\" \"" + *domain_field +
                 "\" but its id says \"" + rid->domain + "\"");
    }
    r.domain = rid->domain;
  } else {
    r.domain = domain_field;
  }
  r.meshid = opt_string(doc, "meshid", err);
  if (!err.empty()) return bad(err);
  if (r.type && *r.type == "node") {
    const auto mid = r.meshid ? parse_record_id(*r.meshid) : std::nullopt;
    if (!mid || mid->type != "mesh") {
      return bad("device \"" + r.id + "\" needs a \"meshid\" of the form mesh/<domain>/<value>");
    }
    if (mid->domain != *r.domain) {
      return bad("device \"" + r.id + "\" is in domain \"" + *r.domain +
                 "\" but its device group is in \"" + mid->domain + "\"");
    }
    const auto amt = doc.find("intelamt");
    if (amt != doc.end() && amt->is_object()) {
      const auto uuid = amt->find("uuid");
      if (uuid != amt->end() && uuid->is_string()) r.amtuuid = uuid->get<std::string>();
    }
  }
  return r;
}

mw::Result<EventRecord> check_event(const Json& event, std::optional<std::int64_t> now) {
  if (!event.is_object()) return bad("an event must be a JSON object");
  EventRecord r;
  const auto t = event.find("time");
  if (t != event.end() && !t->is_null()) {
    const auto ms = parse_time(*t);
    if (!ms) return bad("event \"time\" must be ms since epoch or an ISO 8601 date with a zone");
    r.time_ms = *ms;
  } else if (now) {
    r.time_ms = *now;
  } else {
    return bad("event has no \"time\"");
  }
  std::string err;
  r.domain = opt_string(event, "domain", err);
  if (err.empty()) r.etype = opt_string(event, "etype", err);
  if (err.empty()) r.action = opt_string(event, "action", err);
  if (err.empty()) r.userid = opt_string(event, "userid", err);
  if (err.empty()) r.nodeid = opt_string(event, "nodeid", err);
  if (err.empty()) r.meshid = opt_string(event, "meshid", err);
  if (!err.empty()) return bad("event " + err);
  const auto ids = event.find("ids");
  if (ids != event.end() && !ids->is_null()) {
    if (!ids->is_array()) return bad("event \"ids\" must be an array of strings");
    std::unordered_set<std::string> seen;
    for (const auto& v : *ids) {
      if (!v.is_string()) return bad("event \"ids\" must be an array of strings");
      const auto& s = v.get_ref<const std::string&>();
      if (s != "*" && seen.insert(s).second) r.targets.push_back(s);
    }
  }
  r.doc = event;
  r.doc.erase("time");
  // MeshCentral's events carried type "event" when they lived in the main collection; exports
  // mark them so again. Another type would be lost on export, so it is refused.
  const auto type = r.doc.find("type");
  if (type != r.doc.end()) {
    if (*type != "event") return bad("an event's \"type\" can only be \"event\" (\"etype\" tells events apart)");
    r.doc.erase(type);
  }
  return r;
}

mw::Result<PowerRecord> check_power(const Json& event, std::optional<std::int64_t> now) {
  if (!event.is_object()) return bad("a power event must be a JSON object");
  PowerRecord r;
  const auto t = event.find("time");
  if (t != event.end() && !t->is_null()) {
    const auto ms = parse_time(*t);
    if (!ms) return bad("power event \"time\" must be ms since epoch or an ISO 8601 date with a zone");
    r.time_ms = *ms;
  } else if (now) {
    r.time_ms = *now;
  } else {
    return bad("power event has no \"time\"");
  }
  const auto n = event.find("nodeid");
  if (n == event.end() || !n->is_string() || n->get_ref<const std::string&>().empty()) {
    return bad("power event needs a string \"nodeid\" (\"*\" for the server)");
  }
  r.nodeid = n->get<std::string>();
  const auto p = event.find("power");
  if (p != event.end() && !p->is_number()) return bad("power event \"power\" must be a number");
  r.doc = event;
  r.doc.erase("time");
  const auto type = r.doc.find("type");
  if (type != r.doc.end()) {
    if (*type != "power") return bad("a power event's \"type\" can only be \"power\"");
    r.doc.erase(type);
  }
  return r;
}

Json with_time(Json doc, std::int64_t time_ms) {
  doc["time"] = format_time(time_ms);
  return doc;
}

std::string format_time(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{ms}};
  const auto dp = floor<days>(tp);
  const year_month_day ymd{dp};
  const hh_mm_ss hms{tp - dp};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::optional<std::int64_t> parse_time(const Json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();  // unsigned past int64 ends up negative
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 8.64e15) return std::nullopt;  // JS Date's range
    return static_cast<std::int64_t>(std::floor(d));
  }
  if (v.is_string()) return parse_iso_time(v.get_ref<const std::string&>());
  return std::nullopt;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Json escape_link_keys(Json doc) { return map_link_keys(std::move(doc), escape_key); }
Json unescape_link_keys(Json doc) { return map_link_keys(std::move(doc), unescape_key); }

mw::Result<ImportPlan> plan_import(const Json& data) {
  if (!data.is_array()) {
    return bad(std::string("an import must be a JSON array of documents (MeshCentral's --dbexport "
                           "format), not a JSON ") + data.type_name());
  }
  ImportPlan plan;
  std::unordered_set<std::string> ids;
  std::size_t index = 0;
  for (const auto& el : data) {
    const auto where = [&](const std::string& what) {
      std::string w = "element #" + std::to_string(index);
      if (el.is_object()) {
        const auto id = el.find("_id");
        if (id != el.end() && id->is_string()) w += " (_id \"" + id->get<std::string>() + "\")";
      }
      return bad(w + ": " + what);
    };
    if (!el.is_object()) return where("not a JSON object");
    const auto type = el.find("type");
    if (type != el.end() && *type == "event") {
      auto ev = check_event(el, std::nullopt);
      if (!ev) return where(ev.error().message);
      plan.events.push_back(std::move(ev).value());
    } else if (type != el.end() && *type == "power") {
      auto pw = check_power(el, std::nullopt);
      if (!pw) return where(pw.error().message);
      plan.power.push_back(std::move(pw).value());
    } else {
      Json doc = unescape_link_keys(el);
      auto rec = check_main(doc);
      if (!rec) return where(rec.error().message);
      if (!ids.insert(rec->id).second) return where("duplicate \"_id\"");
      plan.records.emplace_back(std::move(rec).value(), std::move(doc));
    }
    ++index;
  }
  return plan;
}

std::string dump(const Json& doc) { return doc.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace mw::server::store
