// Control-channel messages (/control.ashx), shared by the server and the wasm client.
// Wire format is MeshCentral's: one JSON object per WebSocket text message, with an "action" field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::proto {

// {"action":"serverinfo","serverinfo":{...}}: who the server is, sent first on every control channel.
struct ServerInfo {
  std::string name;     // server name: the Cert setting (host name) or the machine's name
  std::string version;  // Meshwork version
  std::string domain;   // "" for the default domain
  int port = 0;         // HTTPS port browsers and agents use (alias port when set)
  int mps_port = 0;     // Intel AMT MPS (CIRA) port, 0 when disabled
  bool emailcheck = false;  // accounts verify their email by mail (MeshCentral's "emailcheck")

  bool operator==(const ServerInfo&) const = default;
};

// {"action":"userinfo","userinfo":{...}}: the logged-in account (sent after serverinfo).
struct UserInfo {
  std::string id;  // "user/<domain>/<name>"
  std::string name;
  std::uint32_t siteadmin = 0;                      // site rights
  std::string email;
  bool email_verified = false;
  std::map<std::string, std::uint32_t> mesh_rights;  // device group id → rights ("links")
};

// A device group as the control channel shows it ("meshes", events).
struct DeviceGroup {
  std::string id;  // "mesh/<domain>/<id>"
  std::string name;
  std::string desc;
  int mtype = 2;  // 1 Intel AMT only, 2 managed by agent
  // Who may use it ("links"): user id, name and rights, in id order.
  struct Member {
    std::string userid, name;
    std::uint32_t rights = 0;
  };
  std::vector<Member> members;
};

// A device ("nodes", events). conn: 1 agent, 2 CIRA, 4 AMT on LAN (bits); pwr: power state.
struct Device {
  std::string id;  // "node/<domain>/<id>"
  std::string meshid;
  std::string name;
  std::string host;
  std::string desc;
  int icon = 0;
  int conn = 0;
  int pwr = 0;
  std::vector<std::string> tags;
  // Intel AMT as the server last read it ("intelamt"; never the credentials' password).
  struct IntelAmt {
    std::string version, user, uuid, hostname;
    bool credentials_refused = false;  // "warn" bit 1: the stored credentials did not work
    bool trying = false;               // "warn" bit 8: new credentials, not tried yet
    bool tls = false;                  // "tls" 1: reached over TLS (16993/16995)
    std::string tls_hash;              // "hash": the pinned certificate (SHA-384 hex, or MeshCentral's SHA-1)
    bool tls_mismatch = false;         // "warn" bit 4: the device presented another certificate (refused)
  };
  std::optional<IntelAmt> amt;
};

// {"action":"meshes","meshes":[...]}
struct DeviceGroups {
  std::vector<DeviceGroup> groups;
};

// {"action":"nodes","nodes":{"<meshid>":[...]}}; each device's meshid is filled from its key.
struct Devices {
  std::vector<Device> devices;
};

// {"action":"event","event":{...}}: a live change (MeshCentral's event actions: createmesh,
// meshchange, deletemesh, changenode, removenode, accountchange, ...).
struct Event {
  std::string etype;   // "mesh", "node", "user", ...
  std::string action;
  std::string msg;
  std::string userid;
  std::string meshid;
  std::string nodeid;
  std::optional<DeviceGroup> mesh;  // with createmesh / meshchange
  std::optional<Device> node;       // with changenode / addnode
  // nodeconnect: the device's connection bits and power state now (absent in other events).
  std::optional<int> conn;
  std::optional<int> pwr;
};

// {"action":"close","cause":"noauth",...}: the server ends the channel (not logged in, account
// locked or removed).
struct Close {
  std::string cause;
  std::string msg;
  std::string reason;
};

// A message whose action this build does not model; kept so callers can log or ignore it.
struct UnknownAction {
  std::string action;
};

using ControlMessage = std::variant<ServerInfo, UserInfo, DeviceGroups, Devices, Event, Close, UnknownAction>;

std::string encode(const ServerInfo& info);
// A request without arguments: {"action":"<action>"}.
std::string encode_request(std::string_view action);

// Parses one control-channel text message. Malformed JSON, a missing "action" or fields of the
// wrong type give an Error value; this never throws. In lists (groups, devices, tags) an entry
// of the wrong shape is skipped, so one odd record does not hide the others.
Result<ControlMessage> parse_control_message(std::string_view text);

}  // namespace mw::proto
