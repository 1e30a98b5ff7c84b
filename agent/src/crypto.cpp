// The agent's identity and proof checks with OpenSSL 3 (crypto.hpp).
#include "crypto.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "mw/proto/agent.hpp"
#include "mw/util/hex.hpp"

namespace mw::agent {

namespace fs = std::filesystem;

namespace {

Bytes spki_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) throw std::runtime_error("cannot encode the agent's public key");
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

void write_secret(const fs::path& p, const std::string& data) {
  const fs::path tmp = p.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string());
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), p.c_str()) != 0) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace

Bytes sha384(std::span<const std::uint8_t> data) {
  Bytes out(48);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha384(), nullptr);
  return out;
}

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) throw std::runtime_error("no randomness");
  return out;
}

Bytes certificate_hash(X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  if (n <= 0) return {};
  Bytes out = sha384({der, static_cast<std::size_t>(n)});
  OPENSSL_free(der);
  return out;
}

Identity::Identity(EVP_PKEY* key) : key_(key, EVP_PKEY_free), spki_(spki_of(key)) {}

Identity Identity::generate() {
  EVP_PKEY* key = EVP_EC_gen("P-384");
  if (!key) throw std::runtime_error("cannot generate the agent's key pair");
  return Identity(key);
}

std::vector<Identity> Identity::load_or_create_many(const fs::path& state_dir, std::size_t count) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) throw std::runtime_error("cannot create the state folder " + state_dir.string() + ": " + ec.message());
  fs::permissions(state_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  const fs::path file = state_dir / (count == 1 ? "agent-key.pem" : "swarm-keys.pem");
  std::vector<Identity> out;
  if (fs::exists(file)) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string pem = text.str();
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    while (out.size() < count) {
      EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
      if (!key) break;
      out.push_back(Identity(key));
    }
    BIO_free(bio);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (out.empty()) throw std::runtime_error(file.string() + " holds no private key (remove it to give this computer a new identity)");
  }
  if (out.size() >= count) return out;
  while (out.size() < count) out.push_back(generate());
  BIO* bio = BIO_new(BIO_s_mem());
  for (const auto& id : out) PEM_write_bio_PrivateKey(bio, id.key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  write_secret(file, pem);
  OPENSSL_cleanse(pem.data(), pem.size());
  return out;
}

Identity Identity::load_or_create(const fs::path& state_dir) { return std::move(load_or_create_many(state_dir, 1).front()); }

std::string Identity::node_value() const { return proto::agent::node_value(sha384(spki_)); }

Bytes Identity::sign(std::span<const std::uint8_t> data) const {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  Bytes sig;
  std::size_t n = 0;
  if (EVP_DigestSignInit(md, nullptr, EVP_sha384(), nullptr, key_.get()) == 1 &&
      EVP_DigestSign(md, nullptr, &n, data.data(), data.size()) == 1) {
    sig.resize(n);
    if (EVP_DigestSign(md, sig.data(), &n, data.data(), data.size()) == 1) sig.resize(n);
    else sig.clear();
  }
  EVP_MD_CTX_free(md);
  if (sig.empty()) throw std::runtime_error("cannot sign with the agent's key");
  return sig;
}

std::string verify_server(std::span<const std::uint8_t> cert_der, const std::string& server_id_hex,
                          std::span<const std::uint8_t> data, std::span<const std::uint8_t> signature) {
  const unsigned char* p = cert_der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(cert_der.size()));
  if (!cert) return "the server sent an unreadable certificate";
  std::string error;
  EVP_PKEY* key = X509_get0_pubkey(cert);
  const auto expected = util::hex_decode(server_id_hex);
  if (!key || !expected) {
    error = "the server's certificate has no public key";
  } else {
    const Bytes got = sha384(spki_of(key));
    if (expected->size() != got.size() || CRYPTO_memcmp(expected->data(), got.data(), got.size()) != 0) {
      error = "server identity mismatch: its agent certificate's key hashes to " + util::hex_encode(got) +
              ", the settings expect " + server_id_hex;
    } else {
      EVP_MD_CTX* md = EVP_MD_CTX_new();
      const bool ok = EVP_DigestVerifyInit(md, nullptr, EVP_sha384(), nullptr, key) == 1 &&
                      EVP_DigestVerify(md, signature.data(), signature.size(), data.data(), data.size()) == 1;
      EVP_MD_CTX_free(md);
      if (!ok) error = "the server's signature does not verify (a man in the middle, or the wrong server)";
    }
  }
  X509_free(cert);
  return error;
}

}  // namespace mw::agent
