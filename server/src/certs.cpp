// Certificate generation and loading with OpenSSL 3 (EVP key generation, X509v3 extensions,
// SHA-384 signatures). Private keys are written with mode 0600 from the moment they exist.
#include "certs.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "log.hpp"
#include "mw/util/hex.hpp"

namespace mw::server {
namespace {

namespace fs = std::filesystem;

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

PKeyPtr generate_key(CertAlgorithm algorithm) {
  EVP_PKEY* key = algorithm == CertAlgorithm::kRsa3072
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072))
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  if (!key) fail("key generation failed");
  return PKeyPtr(key);
}

std::string key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) fail("PEM key write failed");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}


X509Ptr parse_cert(const std::string& pem, const fs::path& origin) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (!c) fail("not a PEM certificate: " + origin.string());
  return X509Ptr(c);
}

PKeyPtr parse_key(const std::string& pem, const fs::path& origin) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!k) fail("not a PEM private key: " + origin.string());
  return PKeyPtr(k);
}



void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) fail("bad certificate extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}


struct Issuer {
  X509* cert;
  EVP_PKEY* key;
};

// Creates a certificate for `key`. With no issuer it is a self-signed CA.
X509Ptr make_cert(EVP_PKEY* key, const std::string& cn, const Issuer* issuer, bool server_auth,
                  const std::string& san, int valid_days) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  std::array<unsigned char, 16> serial{};
  RAND_bytes(serial.data(), static_cast<int>(serial.size()));
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600 * valid_days);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Meshwork"), -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert));
  if (!issuer) {
    add_ext(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    add_ext(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
  } else {
    add_ext(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), issuer_cert, NID_key_usage, "critical,digitalSignature,keyEncipherment,keyAgreement");
    add_ext(cert.get(), issuer_cert, NID_ext_key_usage, server_auth ? "serverAuth,clientAuth" : "clientAuth");
    add_ext(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
    add_ext(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always");
    if (!san.empty()) add_ext(cert.get(), issuer_cert, NID_subject_alt_name, san);
  }
  if (!X509_sign(cert.get(), issuer ? issuer->key : key, EVP_sha384())) fail("certificate signing failed");
  return cert;
}

struct Loaded {
  CertKey ck;
  X509Ptr cert;
  PKeyPtr key;
};

Loaded load_pair(const fs::path& dir, const std::string& base) {
  const fs::path cert_path = dir / (base + "-cert-public.crt");
  const fs::path key_path = dir / (base + "-cert-private.key");
  Loaded l;
  l.ck.cert_pem = read_file(cert_path);
  l.ck.key_pem = read_file(key_path);
  l.cert = parse_cert(l.ck.cert_pem, cert_path);
  l.key = parse_key(l.ck.key_pem, key_path);
  if (X509_check_private_key(l.cert.get(), l.key.get()) != 1) {
    fail(key_path.string() + " does not match " + cert_path.string());
  }
  l.ck.common_name = certificate_common_name(l.cert.get());
  l.ck.sha384_hex = certificate_sha384_hex(l.cert.get());
  return l;
}

bool pair_exists(const fs::path& dir, const std::string& base) {
  return fs::exists(dir / (base + "-cert-public.crt")) && fs::exists(dir / (base + "-cert-private.key"));
}

Loaded create_pair(const fs::path& dir, const std::string& base, const std::string& cn, const Issuer* issuer,
                   bool server_auth, const std::string& san, CertAlgorithm algorithm) {
  Loaded l;
  l.key = generate_key(algorithm);
  l.cert = make_cert(l.key.get(), cn, issuer, server_auth, san, issuer ? 3650 : 7300);
  l.ck.cert_pem = certificate_pem(l.cert.get());
  l.ck.key_pem = key_to_pem(l.key.get());
  l.ck.common_name = cn;
  l.ck.sha384_hex = certificate_sha384_hex(l.cert.get());
  write_file_atomic(dir / (base + "-cert-private.key"), l.ck.key_pem, /*secret=*/true);
  write_file_atomic(dir / (base + "-cert-public.crt"), l.ck.cert_pem, /*secret=*/false);
  logger("certs")->info("generated {}-cert (CN={})", base, cn);
  return l;
}

std::string random_suffix() {
  std::array<std::uint8_t, 3> b{};
  RAND_bytes(b.data(), static_cast<int>(b.size()));
  return util::hex_encode(b);
}

std::string san_for(const std::string& name) {
  bool ip = !name.empty() && name.find_first_not_of("0123456789.") == std::string::npos;
  bool ip6 = name.find(':') != std::string::npos;
  if (ip || ip6) return "IP:" + name;
  return "DNS:" + name;
}

}  // namespace

void write_file_atomic(const fs::path& p, const std::string& data, bool secret) {
  const fs::path tmp = p.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) fail("cannot write " + tmp.string());
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      ::close(fd);
      fail("cannot write " + tmp.string());
    }
    off += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  fs::rename(tmp, p);
}

std::string certificate_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) fail("PEM certificate write failed");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string certificate_sha384_hex(X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (!X509_digest(cert, EVP_sha384(), md.data(), &len)) fail("certificate digest failed");
  return util::hex_encode(std::span<const std::uint8_t>(md.data(), len));
}

std::string certificate_common_name(X509* cert) {
  std::array<char, 256> buf{};
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf.data(),
                                          static_cast<int>(buf.size()));
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string();
}


CertificateStore CertificateStore::load_or_create(const fs::path& datapath, const std::string& name,
                                                  CertAlgorithm algorithm, const std::string& mps_name) {
  CertificateStore store;
  fs::create_directories(datapath);
  Loaded root = pair_exists(datapath, "root")
                    ? load_pair(datapath, "root")
                    : (++store.generated_,
                       create_pair(datapath, "root", "MeshworkRoot-" + random_suffix(), nullptr, false, "", algorithm));
  Issuer issuer{root.cert.get(), root.key.get()};
  auto leaf = [&](const std::string& base, const std::string& cn, bool server_auth, const std::string& san) {
    if (pair_exists(datapath, base)) return load_pair(datapath, base).ck;
    ++store.generated_;
    return create_pair(datapath, base, cn, &issuer, server_auth, san, algorithm).ck;
  };
  store.web_ = leaf("webserver", name, true, san_for(name));
  const std::string& mps = mps_name.empty() ? name : mps_name;
  store.mps_ = leaf("mpsserver", mps, true, san_for(mps));
  store.agent_ = leaf("agentserver", "MeshworkAgentServer", false, "");
  store.root_ = root.ck;
  for (int i = 1; i <= 3; ++i) {
    const fs::path chain = datapath / ("webserver-cert-chain" + std::to_string(i) + ".crt");
    if (fs::exists(chain)) {
      std::string pem = read_file(chain);
      parse_cert(pem, chain);  // validates
      store.web_chain_ += pem;
    }
  }
  return store;
}

const CertKey& CertificateStore::add_domain(const fs::path& datapath, const std::string& domain_id,
                                           const std::string& dns, CertAlgorithm algorithm) {
  const std::string base = "webserver-" + domain_id;
  CertKey ck;
  if (pair_exists(datapath, base)) {
    ck = load_pair(datapath, base).ck;
  } else {
    Loaded root = load_pair(datapath, "root");
    Issuer issuer{root.cert.get(), root.key.get()};
    ++generated_;
    ck = create_pair(datapath, base, dns, &issuer, true, san_for(dns), algorithm).ck;
  }
  return domain_web_[domain_id] = ck;
}

}  // namespace mw::server
