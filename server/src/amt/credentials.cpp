// Sealed Intel AMT credentials: auth/cookie's AES-256-GCM envelope (never expiring), bound to
// the device id so a sealed password cannot be moved to another device's record.
#include "amt/credentials.hpp"

#include <openssl/rand.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "accounts/model.hpp"
#include "auth/cookie.hpp"
#include "certs.hpp"
#include "store/records.hpp"

namespace mw::server::amt {

namespace {
constexpr std::size_t kKeyBytes = 32;
using Json = nlohmann::json;
}  // namespace

std::string credentials_record_id(std::string_view nodeid) {
  return "amtcred/" + accounts::domain_of(nodeid) + "/" + accounts::value_of(nodeid);
}

std::vector<std::uint8_t> load_or_create_credentials_key(const std::filesystem::path& datapath) {
  const auto file = datapath / "amt-credentials.key";
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    std::ifstream in(file, std::ios::binary);
    std::vector<std::uint8_t> key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.size() != kKeyBytes) throw std::runtime_error(file.string() + ": not a 32-byte key");
    return key;
  }
  std::vector<std::uint8_t> key(kKeyBytes);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) throw std::runtime_error("no randomness for a key");
  write_file_atomic(file, std::string(key.begin(), key.end()), true);
  return key;
}

std::optional<std::string> check_credentials(const AmtCredentials& c) {
  if (c.user.empty() || c.user.size() > 32) return "The Intel AMT user name must have 1 to 32 characters.";
  if (c.pass.size() < 8 || c.pass.size() > 32) return "The Intel AMT password must have 8 to 32 characters.";
  return std::nullopt;
}

store::Status store_credentials(store::Store& db, std::string_view nodeid, const AmtCredentials& c,
                                std::span<const std::uint8_t> key) {
  const std::string sealed =
      auth::encode_cookie(Json{{"n", nodeid}, {"p", c.pass}, {"expire", 0}}, key, store::now_ms() / 1000);
  return db.put(Json{{"_id", credentials_record_id(nodeid)},
                     {"type", "amtcred"},
                     {"domain", accounts::domain_of(nodeid)},
                     {"nodeid", nodeid},
                     {"user", c.user},
                     {"sealed", sealed}});
}

mw::Result<std::optional<AmtCredentials>> load_credentials(store::Store& db, std::string_view nodeid,
                                                           std::span<const std::uint8_t> key) {
  auto rec = db.get(credentials_record_id(nodeid));
  if (!rec) return rec.error();
  if (rec.value()) {
    const Json& r = *rec.value();
    auto opened = auth::decode_cookie(accounts::text_of(r, "sealed"), key, store::now_ms() / 1000, 0);
    if (!opened || !opened->contains("n") || (*opened)["n"] != nodeid || !(*opened)["p"].is_string()) {
      return make_error("bad-credentials", "the Intel AMT credentials of " + std::string(nodeid) +
                                               " do not open with this server's key (amt-credentials.key)");
    }
    return std::optional<AmtCredentials>(AmtCredentials{accounts::text_of(r, "user"), (*opened)["p"].get<std::string>()});
  }
  // A device record from MeshCentral may carry them in the clear: seal them and clear the record.
  auto node = db.get(nodeid);
  if (!node) return node.error();
  if (!node.value()) return std::optional<AmtCredentials>();
  Json n = *node.value();
  auto amt = n.find("intelamt");
  if (amt == n.end() || !amt->is_object() || !amt->contains("pass") || !(*amt)["pass"].is_string() ||
      (*amt)["pass"].get<std::string>().empty()) {
    return std::optional<AmtCredentials>();
  }
  AmtCredentials c{amt->value("user", std::string("admin")), (*amt)["pass"].get<std::string>()};
  if (c.user.empty()) c.user = "admin";
  if (auto st = store_credentials(db, nodeid, c, key); !st) return st.error();
  amt->erase("pass");
  if (auto st = db.put(n); !st) return st.error();
  return std::optional<AmtCredentials>(std::move(c));
}

store::Status remove_credentials(store::Store& db, std::string_view nodeid) {
  auto r = db.remove(credentials_record_id(nodeid));
  if (!r) return r.error();
  return store::Ok{};
}

}  // namespace mw::server::amt
