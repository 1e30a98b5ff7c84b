// "My Files": storage on the server for each account and each device group, as MeshCentral's
// server files (viewmode 5). The browser reaches one storage per WebSocket:
//   /serverfiles.ashx?store=ID    ID: the account's own id (user/<d>/<name>) or a group's
//                                 (mesh/<d>/<id>); authenticated like the control channel.
// The session speaks the agent's files protocol (docs/agent-protocol.md "Files"), jailed: paths
// are shown from "/" and never name the server's folders. It opens with the relay's own text,
// {"action":"meshrelay","state":"ready","p":5}, so the browser's files window treats it as one,
// and {"action":"meshrelay","state":"closed","reason":…} before it closes.
//
// Who may open what (MeshCentral's rules):
//   - their own storage: the site right "file access" (8);
//   - a group's: the group's right "server files" (32);
//   - neither when the domain's UserQuota is -1 (server files off); a group's neither when its
//     MeshQuota is -1.
// Quotas (UserQuota, MeshQuota) are in kilobytes as the seed guide documents them (MeshCentral's
// code compares them with bytes); a full administrator's own storage has no limit.
// Folders, under FilesPath, as MeshCentral lays them out so meshcentral-files carries over:
//   domain/user-<name>, domain/mesh-<id> (domain-<d>/… for a named domain).
// Disk work runs on ServerContext::file_io, never on an I/O thread; a session handles one
// message at a time, so it holds at most one chunk. Sessions count towards the relays a user
// may have open (agents::RelayHub::kMaxPerUser).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "net.hpp"
#include "request_info.hpp"
#include "server_context.hpp"
#include "settings.hpp"
#include "store/store.hpp"

namespace mw::server::files {

struct FileStore {
  std::string error;             // why it may not be opened; "" when it may
  std::string id;                // user/<d>/<name> or mesh/<d>/<id>
  std::string name;              // "My Files" or the group's name
  std::filesystem::path folder;  // see above
  std::uint64_t quota = 0;       // bytes; 0: no limit
};

// The folder of a storage id under `filespath`; nullopt for an id that names none (wrong kind,
// wrong number of parts, a part that is not one plain path component).
std::optional<std::filesystem::path> store_folder(const std::filesystem::path& filespath, std::string_view store_id);

// Whether `userid` may open storage `store_id` in `domain`, and with what quota. Store work.
FileStore check_store(store::Store& s, const DomainSettings& domain, const std::filesystem::path& filespath,
                      const std::string& userid, const std::string& store_id);

template <class NextLayer>
void start_server_files(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info,
                        http::request<http::string_body> upgrade);

}  // namespace mw::server::files
