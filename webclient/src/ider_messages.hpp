// The IDE-R relay's text messages (/amtrelay.ashx?p=ider; server/src/amt/amt_relay.hpp): what the
// server says — the disk images it can serve, the session's progress, the relay opening and
// closing — read into plain values, and the browser's one request (which images, when shown).
// No ImGui and no platform: the panel (ider_panel.hpp) draws what these return.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mw::web {

enum class IderDrive { kCdrom, kFloppy };

// When Intel AMT shows the drives to the computer (the start request's "start").
enum class IderStart { kNextBoot = 0, kGraceful = 1, kNow = 2 };

// {"action":"amtider","state":"images","images":[{"path","size","drive"}]}: the user's disk images on
// the server (.iso as CD-ROM, .img/.ima as floppy), sorted by path.
struct IderImages {
  struct Image {
    std::string path;  // as the server shows it ("/isos/x.iso"), and as the start request names it
    std::uint64_t size = 0;
    IderDrive drive = IderDrive::kCdrom;
  };
  std::vector<Image> images;
};

// {"action":"amtider","state":"opened"|"enabled"|"running"|"reset",...}: a running session.
struct IderProgress {
  enum class Stage { kOpened, kEnabled, kRunning, kReset };
  struct Drive {
    std::string path;
    std::uint64_t blocks = 0;  // of the medium (2048 bytes on a CD-ROM, 512 on a floppy)
    std::uint64_t read = 0;    // blocks Intel AMT read so far (re-reads count again)
  };
  Stage stage = Stage::kOpened;
  std::uint64_t to_amt = 0, from_amt = 0;  // bytes on the redirection channel
  IderStart start = IderStart::kNextBoot;
  std::string firmware;  // Intel AMT's firmware version ("16.1"), once the session opened
  std::optional<Drive> cdrom, floppy;
};

// {"action":"amtrelay","state":"ready","type":"ider"}: the server authenticated to Intel AMT.
struct IderRelayReady {};

// {"action":"amtrelay","state":"closed","reason":"..."}: the server ends the session.
struct IderRelayClosed {
  std::string reason;
};

using IderMessage = std::variant<IderImages, IderProgress, IderRelayReady, IderRelayClosed>;

// One text message of the relay; nullopt when it is not JSON, not one of these, or malformed
// (a field of the wrong type). Hostile text is normal input: never throws.
std::optional<IderMessage> parse_ider_message(std::string_view text);

// The browser's request: {"action":"start","cdrom":PATH,"floppy":PATH,"start":N} ("" for no drive).
std::string ider_start_request(const std::string& cdrom, const std::string& floppy, IderStart start);

}  // namespace mw::web
