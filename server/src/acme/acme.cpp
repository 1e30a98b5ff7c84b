// ACME client (acme.hpp).
#include "acme/acme.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <chrono>
#include <memory>
#include <sstream>
#include <thread>

#include "certs.hpp"
#include "curl_common.hpp"
#include "log.hpp"
#include "text.hpp"
#include "mw/util/base64.hpp"
#include "mw/util/sha256.hpp"

namespace mw::server::acme {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

mw::Error acme_error(std::string message) { return mw::make_error("acme", std::move(message)); }

std::string b64u(std::string_view s) { return util::base64_encode(s, util::Base64Alphabet::kUrlSafe); }
std::string b64u(std::span<const std::uint8_t> s) { return util::base64_encode(s, util::Base64Alphabet::kUrlSafe); }

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 253 || n.front() == '.' || n.back() == '.' || n.find("..") != std::string::npos) return false;
  for (const char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '*') return false;
  }
  return true;
}

// [SECTION] HTTP (libcurl)

struct HttpResult {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

size_t body_cb(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->size() + size * n > (4u << 20)) return 0;  // an ACME answer is small: refuse more than 4 MiB
  s->append(p, size * n);
  return size * n;
}

size_t header_cb(char* p, size_t size, size_t n, void* user) {
  auto* h = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(p, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    (*h)[ascii_lower(line.substr(0, colon))] = value;
  }
  return size * n;
}

mw::Result<HttpResult> http(const std::string& method, const std::string& url, const std::string& body = {}) {
  curl_init_once();
  std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
  if (!c) return acme_error("libcurl could not start a transfer");
  HttpResult r;
  std::array<char, CURL_ERROR_SIZE> err{};
  curl_slist* headers = nullptr;
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, err.data());
  curl_easy_setopt(c.get(), CURLOPT_USERAGENT, "Meshwork ACME client");
  curl_easy_setopt(c.get(), CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_trust_store(c.get());
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r.headers);
  if (method == "HEAD") {
    curl_easy_setopt(c.get(), CURLOPT_NOBODY, 1L);
  } else if (method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/jose+json");
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  const CURLcode rc = curl_easy_perform(c.get());
  if (headers) curl_slist_free_all(headers);
  if (rc != CURLE_OK) return acme_error(method + " " + url + ": " + (err[0] ? err.data() : curl_easy_strerror(rc)));
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

// [SECTION] keys and signatures (OpenSSL)

using Key = std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>;

std::string key_pem(EVP_PKEY* k) {
  std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

mw::Result<Key> account_key(const fs::path& folder) {
  const fs::path file = folder / "account.key";
  if (fs::exists(file)) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(file.c_str(), "rb"), std::fclose);
    Key k(f ? PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
    if (k && EVP_PKEY_is_a(k.get(), "EC")) return k;
    return acme_error("cannot read the ACME account key " + file.string());
  }
  Key k(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!k) return acme_error("cannot make an ACME account key");
  try {
    write_file_atomic(file, key_pem(k.get()), /*secret=*/true);
  } catch (const std::exception& e) {
    return acme_error(std::string("cannot keep the ACME account key: ") + e.what());
  }
  return k;
}

// The account key as a JWK ({"crv","kty","x","y"}: the members in the order RFC 7638 hashes them).
std::string jwk_text(EVP_PKEY* k) {
  auto coord = [k](const char* name) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(k, name, &bn);
    std::array<std::uint8_t, 32> b{};
    if (bn) BN_bn2binpad(bn, b.data(), 32);
    BN_free(bn);
    return b64u(std::span<const std::uint8_t>(b));
  };
  return R"({"crv":"P-256","kty":"EC","x":")" + coord(OSSL_PKEY_PARAM_EC_PUB_X) + R"(","y":")" + coord(OSSL_PKEY_PARAM_EC_PUB_Y) + R"("})";
}

// ES256: SHA-256 ECDSA, the signature as r ‖ s (32 bytes each), not DER.
std::string es256(EVP_PKEY* k, const std::string& data) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t len = 0;
  if (EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, k) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return {};
  }
  std::vector<unsigned char> der(len);
  if (EVP_DigestSign(md.get(), der.data(), &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) return {};
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, void (*)(ECDSA_SIG*)> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)), ECDSA_SIG_free);
  if (!sig) return {};
  std::array<std::uint8_t, 64> rs{};
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), rs.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), rs.data() + 32, 32);
  return b64u(std::span<const std::uint8_t>(rs));
}

// A CSR for `names` (the first as subject CN, all as DNS subject alternative names), DER.
std::vector<unsigned char> make_csr(EVP_PKEY* key, const std::vector<std::string>& names) {
  std::unique_ptr<X509_REQ, void (*)(X509_REQ*)> req(X509_REQ_new(), X509_REQ_free);
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* subject = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(names.front().c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key);
  std::string san;
  for (const auto& n : names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str());
  if (ext) sk_X509_EXTENSION_push(exts, ext);
  X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  if (X509_REQ_sign(req.get(), key, EVP_sha256()) <= 0) return {};
  const int len = i2d_X509_REQ(req.get(), nullptr);
  std::vector<unsigned char> der(static_cast<std::size_t>(std::max(len, 0)));
  unsigned char* p = der.data();
  i2d_X509_REQ(req.get(), &p);
  return der;
}

// [SECTION] the protocol

class Session {
 public:
  Session(EVP_PKEY* key, json directory) : key_(key), dir_(std::move(directory)), jwk_(jwk_text(key)) {}

  std::string thumbprint() const {
    const auto d = util::sha256(jwk_);
    return b64u(std::span<const std::uint8_t>(d));
  }

  // A signed POST (`payload` null: POST-as-GET), retried on badNonce as RFC 8555 §6.5 asks.
  mw::Result<HttpResult> post(const std::string& url, const json& payload) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (nonce_.empty()) {
        auto r = http("HEAD", dir_.value("newNonce", ""));
        if (!r) return r.error();
        nonce_ = r->headers["replay-nonce"];
        if (nonce_.empty()) return acme_error("the CA gave no nonce");
      }
      json protected_header{{"alg", "ES256"}, {"nonce", nonce_}, {"url", url}};
      if (kid_.empty()) protected_header["jwk"] = json::parse(jwk_);
      else protected_header["kid"] = kid_;
      const std::string p64 = b64u(protected_header.dump());
      const std::string body64 = payload.is_null() ? std::string() : b64u(payload.dump());
      const json jws{{"protected", p64}, {"payload", body64}, {"signature", es256(key_, p64 + "." + body64)}};
      nonce_.clear();
      auto r = http("POST", url, jws.dump());
      if (!r) return r;
      nonce_ = r->headers["replay-nonce"];
      if (r->status == 400 && json::parse(r->body, nullptr, false).value("type", "") == "urn:ietf:params:acme:error:badNonce") continue;
      return r;
    }
    return acme_error("the CA refused five nonces in a row");
  }
  void set_kid(std::string kid) { kid_ = std::move(kid); }
  const json& directory() const { return dir_; }

 private:
  EVP_PKEY* key_;
  json dir_;
  std::string jwk_;
  std::string kid_;
  std::string nonce_;
};

// The problem document's text (RFC 7807), for errors.
std::string problem(const HttpResult& r) {
  const auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return "HTTP " + std::to_string(r.status);
  std::string s = j.value("detail", j.value("type", "HTTP " + std::to_string(r.status)));
  if (j.contains("subproblems") && j["subproblems"].is_array()) {
    for (const auto& sp : j["subproblems"]) {
      if (sp.is_object()) s += "; " + sp.value("detail", "");
    }
  }
  return s;
}

bool wait_or_cancel(int ms, const std::atomic<bool>* cancel) {
  for (int waited = 0; waited < ms; waited += 100) {
    if (cancel && cancel->load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return !(cancel && cancel->load());
}

// POST-as-GET `url` until its "status" is no longer one of `pending` (at most ~90 s).
mw::Result<json> poll(Session& s, const std::string& url, std::initializer_list<const char*> pending, const std::atomic<bool>* cancel) {
  for (int i = 0; i < 90; ++i) {
    auto r = s.post(url, nullptr);
    if (!r) return r.error();
    if (r->status != 200) return acme_error("reading " + url + ": " + problem(*r));
    auto j = json::parse(r->body, nullptr, false);
    if (!j.is_object()) return acme_error("the CA's answer for " + url + " is not JSON");
    const std::string status = j.value("status", "");
    if (std::find_if(pending.begin(), pending.end(), [&](const char* p) { return status == p; }) == pending.end()) return j;
    if (!wait_or_cancel(1000, cancel)) return acme_error("stopped");
  }
  return acme_error("the CA took too long with " + url);
}

}  // namespace

mw::Result<Settings> parse_settings(const json& section, std::vector<std::string>& warnings) {
  if (!section.is_object()) return acme_error("config.json letsencrypt must be an object");
  Settings s;
  for (const auto& [key, v] : section.items()) {
    if (!key.empty() && key[0] == '_') continue;
    if (key == "email" && v.is_string()) {
      s.email = v.get<std::string>();
    } else if (key == "names" && v.is_string()) {
      std::stringstream in(v.get<std::string>());
      for (std::string n; std::getline(in, n, ',');) {
        while (!n.empty() && n.front() == ' ') n.erase(0, 1);
        while (!n.empty() && n.back() == ' ') n.pop_back();
        if (!n.empty()) s.names.push_back(ascii_lower(n));
      }
    } else if (key == "names" && v.is_array()) {
      for (const auto& n : v) {
        if (!n.is_string()) return acme_error("config.json letsencrypt.names must be host names");
        s.names.push_back(ascii_lower(n.get<std::string>()));
      }
    } else if (key == "rsakeysize" && v.is_number_integer()) {
      s.rsa_key_size = v.get<int>();
      if (s.rsa_key_size != 2048 && s.rsa_key_size != 3072 && s.rsa_key_size != 4096) {
        return acme_error("config.json letsencrypt.rsaKeySize must be 2048, 3072 or 4096");
      }
    } else if (key == "production" && v.is_boolean()) {
      s.production = v.get<bool>();
    } else if (key == "directory" && v.is_string()) {
      s.directory = v.get<std::string>();
      if (s.directory.rfind("https://", 0) != 0) return acme_error("config.json letsencrypt.directory must be an https:// URL");
    } else if (key == "email" || key == "names" || key == "rsakeysize" || key == "production" || key == "directory") {
      return acme_error("config.json letsencrypt." + key + " has the wrong type");
    } else if (key == "lib" || key == "skipchallengeverification") {
      warnings.push_back("config.json letsencrypt." + key + " is not supported by this version of Meshwork; ignored");
    } else {
      warnings.push_back("config.json letsencrypt." + key + " is not a setting of the letsencrypt section; ignored");
    }
  }
  if (s.email.find('@') == std::string::npos) return acme_error("config.json letsencrypt.email must be the account's email address");
  if (s.names.empty()) return acme_error("config.json letsencrypt.names must list the server's names");
  for (const auto& n : s.names) {
    if (!valid_name(n)) return acme_error("config.json letsencrypt.names: \"" + n + "\" is not a host name");
  }
  return s;
}

void Challenges::set(const std::string& token, const std::string& key_authorization) {
  std::lock_guard lock(mu_);
  answers_[token] = key_authorization;
}

void Challenges::erase(const std::string& token) {
  std::lock_guard lock(mu_);
  answers_.erase(token);
}

std::optional<std::string> Challenges::find(const std::string& token) const {
  std::lock_guard lock(mu_);
  const auto it = answers_.find(token);
  if (it == answers_.end()) return std::nullopt;
  return it->second;
}

mw::Result<Certificate> obtain_certificate(const Settings& s, const fs::path& folder, Challenges& challenges,
                                           const std::atomic<bool>* cancel) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  auto key = account_key(folder);
  if (!key) return key.error();
  auto dir = http("GET", s.directory_url());
  if (!dir) return dir.error();
  auto directory = json::parse(dir->body, nullptr, false);
  if (dir->status != 200 || !directory.is_object() || !directory.contains("newOrder")) {
    return acme_error("no ACME directory at " + s.directory_url() + " (HTTP " + std::to_string(dir->status) + ")");
  }
  Session session(key->get(), directory);

  // The account (found again by its key when it exists).
  auto acct = session.post(directory.value("newAccount", ""), {{"termsOfServiceAgreed", true}, {"contact", {"mailto:" + s.email}}});
  if (!acct) return acct.error();
  if (acct->status != 200 && acct->status != 201) return acme_error("account: " + problem(*acct));
  session.set_kid(acct->headers["location"]);

  json ids = json::array();
  for (const auto& n : s.names) ids.push_back({{"type", "dns"}, {"value", n}});
  auto order = session.post(directory.value("newOrder", ""), {{"identifiers", ids}});
  if (!order) return order.error();
  if (order->status != 201) return acme_error("order: " + problem(*order));
  const std::string order_url = order->headers["location"];
  auto order_json = json::parse(order->body, nullptr, false);
  if (!order_json.is_object()) return acme_error("order: the CA's answer is not JSON");

  // HTTP-01 for each name: the answer goes up on the HTTP port, then the CA is told to look.
  std::vector<std::string> tokens;
  struct Cleanup {
    Challenges& c;
    std::vector<std::string>& t;
    ~Cleanup() {
      for (const auto& x : t) c.erase(x);
    }
  } cleanup{challenges, tokens};
  for (const auto& authz_url : order_json.value("authorizations", json::array())) {
    if (!authz_url.is_string()) continue;
    auto a = session.post(authz_url.get<std::string>(), nullptr);
    if (!a) return a.error();
    auto authz = json::parse(a->body, nullptr, false);
    if (a->status != 200 || !authz.is_object()) return acme_error("authorization: " + problem(*a));
    if (authz.value("status", "") == "valid") continue;
    const std::string name = authz.contains("identifier") ? authz["identifier"].value("value", "") : "";
    json challenge;
    for (const auto& c : authz.value("challenges", json::array())) {
      if (c.is_object() && c.value("type", "") == "http-01") challenge = c;
    }
    if (!challenge.is_object()) return acme_error("the CA offers no http-01 challenge for " + name);
    const std::string token = challenge.value("token", "");
    if (token.empty() || token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
      return acme_error("the CA's challenge token for " + name + " is malformed");
    }
    challenges.set(token, token + "." + session.thumbprint());
    tokens.push_back(token);
    auto go = session.post(challenge.value("url", ""), json::object());
    if (!go) return go.error();
    if (go->status != 200) return acme_error("challenge for " + name + ": " + problem(*go));
    auto done = poll(session, authz_url.get<std::string>(), {"pending", "processing"}, cancel);
    if (!done) return done.error();
    if (done->value("status", "") != "valid") {
      std::string why;
      for (const auto& c : done->value("challenges", json::array())) {
        if (c.is_object() && c.contains("error") && c["error"].is_object()) why = c["error"].value("detail", "");
      }
      return acme_error("the CA could not check " + name + " over HTTP port 80" + (why.empty() ? "" : ": " + why));
    }
  }

  // The certificate's key and its request.
  Key cert_key(EVP_RSA_gen(static_cast<unsigned>(s.rsa_key_size)), EVP_PKEY_free);
  if (!cert_key) return acme_error("cannot make an RSA key");
  const auto csr = make_csr(cert_key.get(), s.names);
  if (csr.empty()) return acme_error("cannot make the certificate request");
  auto fin = session.post(order_json.value("finalize", ""), {{"csr", b64u(std::span<const std::uint8_t>(csr.data(), csr.size()))}});
  if (!fin) return fin.error();
  if (fin->status != 200) return acme_error("finalize: " + problem(*fin));
  auto ready = poll(session, order_url, {"pending", "ready", "processing"}, cancel);
  if (!ready) return ready.error();
  if (ready->value("status", "") != "valid" || !ready->contains("certificate")) {
    return acme_error("the order ended as \"" + ready->value("status", "") + "\"");
  }
  auto cert = session.post((*ready)["certificate"].get<std::string>(), nullptr);
  if (!cert) return cert.error();
  if (cert->status != 200 || cert->body.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return acme_error("certificate download: " + problem(*cert));
  }
  return Certificate{cert->body, key_pem(cert_key.get())};
}

}  // namespace mw::server::acme
