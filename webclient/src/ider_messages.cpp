// Reading and writing the IDE-R relay's text messages (ider_messages.hpp).
#include "ider_messages.hpp"

#include <type_traits>

#include <nlohmann/json.hpp>

namespace mw::web {
namespace {

using Json = nlohmann::json;

// Optional fields: absent is fine (the default stays), present with another type is not. Text,
// or a count (a whole number, not negative).
template <class T>
bool read_field(const Json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end()) return true;
  if (std::is_same_v<T, std::string> ? !it->is_string() : !it->is_number_unsigned()) return false;
  out = it->get<T>();
  return true;
}

std::optional<IderImages> images(const Json& j) {
  const auto list = j.find("images");
  if (list == j.end() || !list->is_array()) return std::nullopt;
  IderImages out;
  for (const auto& e : *list) {
    if (!e.is_object()) return std::nullopt;
    IderImages::Image image;
    std::string drive;
    if (!read_field(e, "path", image.path) || !read_field(e, "size", image.size) || !read_field(e, "drive", drive)) return std::nullopt;
    if (image.path.empty()) return std::nullopt;
    if (drive == "cdrom") image.drive = IderDrive::kCdrom;
    else if (drive == "floppy") image.drive = IderDrive::kFloppy;
    else continue;  // a kind of drive this app does not offer
    out.images.push_back(std::move(image));
  }
  return out;
}

std::optional<IderProgress::Drive> drive(const Json& j, const char* key, bool& ok) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  IderProgress::Drive d;
  ok = ok && it->is_object() && read_field(*it, "path", d.path) && read_field(*it, "blocks", d.blocks) && read_field(*it, "read", d.read);
  return d;
}

std::optional<IderProgress> progress(const Json& j, const std::string& state) {
  IderProgress p;
  if (state == "opened") p.stage = IderProgress::Stage::kOpened;
  else if (state == "enabled") p.stage = IderProgress::Stage::kEnabled;
  else if (state == "running") p.stage = IderProgress::Stage::kRunning;
  else if (state == "reset") p.stage = IderProgress::Stage::kReset;
  else return std::nullopt;
  std::uint64_t start = 0;
  bool ok = read_field(j, "toAmt", p.to_amt) && read_field(j, "fromAmt", p.from_amt) && read_field(j, "start", start) &&
            read_field(j, "firmware", p.firmware) && start <= 2;
  p.start = static_cast<IderStart>(start);
  p.cdrom = drive(j, "cdrom", ok);
  p.floppy = drive(j, "floppy", ok);
  if (!ok) return std::nullopt;
  return p;
}

}  // namespace

std::optional<IderMessage> parse_ider_message(std::string_view text) {
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  std::string action, state;
  if (!read_field(j, "action", action) || !read_field(j, "state", state)) return std::nullopt;
  if (action == "amtrelay") {
    if (state == "ready") return IderRelayReady{};
    if (state != "closed") return std::nullopt;
    IderRelayClosed c;
    if (!read_field(j, "reason", c.reason)) return std::nullopt;
    return c;
  }
  if (action != "amtider") return std::nullopt;
  if (state == "images") {
    if (auto i = images(j)) return *i;
    return std::nullopt;
  }
  if (auto p = progress(j, state)) return *p;
  return std::nullopt;
}

std::string ider_start_request(const std::string& cdrom, const std::string& floppy, IderStart start) {
  return Json{{"action", "start"}, {"cdrom", cdrom}, {"floppy", floppy}, {"start", static_cast<int>(start)}}.dump(
      -1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace mw::web
