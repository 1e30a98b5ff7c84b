// Intel AMT admin credentials of devices, kept out of the device records: each in a record of
// its own ("amtcred/<domain>/<value>", type "amtcred") with the password sealed by AES-256-GCM
// under a key that lives in the data folder (amt-credentials.key, 0600), not in the database.
// A database export alone does not reveal them; device records (sent to browsers as stored)
// never hold them. A device imported from MeshCentral with intelamt.pass in its record has the
// password moved into a sealed record the first time it is needed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace mw::server::amt {

struct AmtCredentials {
  std::string user = "admin";
  std::string pass;
};

// "node/<d>/<v>" → "amtcred/<d>/<v>".
std::string credentials_record_id(std::string_view nodeid);

// The key file of the data folder, created (32 random bytes, 0600) when absent. Throws
// std::runtime_error when it cannot be read or written, or has the wrong size.
std::vector<std::uint8_t> load_or_create_credentials_key(const std::filesystem::path& datapath);

// Validation of what a person typed: user 1..32 characters, password 8..32 (AMT's limits).
std::optional<std::string> check_credentials(const AmtCredentials& c);

store::Status store_credentials(store::Store& db, std::string_view nodeid, const AmtCredentials& c,
                                std::span<const std::uint8_t> key);
// nullopt when the device has none. Errors: the store's, or "bad-credentials" for a record that
// does not open with this key (another server's data folder).
mw::Result<std::optional<AmtCredentials>> load_credentials(store::Store& db, std::string_view nodeid,
                                                           std::span<const std::uint8_t> key);
store::Status remove_credentials(store::Store& db, std::string_view nodeid);

}  // namespace mw::server::amt
