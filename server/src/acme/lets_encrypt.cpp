// The web certificate from an ACME CA (lets_encrypt.hpp).
#include "acme/lets_encrypt.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/post.hpp>
#include <fstream>
#include <sstream>

#include "certs.hpp"
#include "log.hpp"
#include "server_context.hpp"
#include "web_server.hpp"

namespace mw::server::acme {

namespace {

namespace fs = std::filesystem;
constexpr int kRenewDays = 30;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string names_text(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

LetsEncrypt::LetsEncrypt(boost::asio::io_context& ioc, ServerContext& ctx, Settings settings)
    : ioc_(ioc), ctx_(ctx), settings_(std::move(settings)), folder_(ctx.settings.datapath / "letsencrypt"), timer_(ioc) {}

LetsEncrypt::~LetsEncrypt() {
  cancel_ = true;
  timer_.cancel();
  if (worker_.joinable()) worker_.join();
}

std::optional<int> LetsEncrypt::days_left(const std::string& chain_pem, const std::vector<std::string>& names) {
  std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())), BIO_free);
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return std::nullopt;
  for (const auto& n : names) {
    if (X509_check_host(cert.get(), n.c_str(), n.size(), 0, nullptr) != 1) return std::nullopt;
  }
  int days = 0, secs = 0;
  if (ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert.get())) != 1) return std::nullopt;
  return days;
}

bool LetsEncrypt::load_stored() {
  const std::string chain = read_text(folder_ / "cert.pem");
  const std::string key = read_text(folder_ / "key.pem");
  if (chain.empty() || key.empty()) return false;
  const auto days = days_left(chain, settings_.names);
  if (!days || *days < kRenewDays) return false;
  install(Certificate{chain, key}, "stored in " + folder_.string());
  return true;
}

void LetsEncrypt::install(const Certificate& c, const std::string& how) {
  CertKey ck;
  ck.cert_pem = c.chain_pem;
  ck.key_pem = c.key_pem;
  try {
    auto tls = make_tls_context(ck, "");
    set_web_certificate(ctx_, std::move(tls));
  } catch (const std::exception& e) {
    logger("acme")->error("the certificate for {} ({}) cannot be used: {}", names_text(settings_.names), how, e.what());
    return;
  }
  logger("acme")->info("Let's Encrypt certificate for {} in use ({}), {} days left", names_text(settings_.names), how,
                       days_left(c.chain_pem, settings_.names).value_or(0));
}

void LetsEncrypt::start() {
  check();
}

void LetsEncrypt::check() {
  const std::string chain = read_text(folder_ / "cert.pem");
  const auto days = chain.empty() ? std::nullopt : days_left(chain, settings_.names);
  if ((!days || *days < kRenewDays) && !busy_.exchange(true)) {
    if (worker_.joinable()) worker_.join();
    logger("acme")->info("asking {} for a certificate for {}", settings_.directory_url(), names_text(settings_.names));
    worker_ = std::thread([this] {
      auto r = obtain_certificate(settings_, folder_, challenges_, &cancel_);
      if (cancel_) return;
      boost::asio::post(ioc_, [this, r = std::move(r)]() mutable {
        busy_ = false;
        if (!r) {
          logger("acme")->error("no certificate from {}: {} (trying again in 12 hours)", settings_.directory_url(), r.error().message);
          return;
        }
        try {  // each file whole or not at all (a crash never leaves half a certificate)
          write_file_atomic(folder_ / "key.pem", r->key_pem, /*secret=*/true);
          write_file_atomic(folder_ / "cert.pem", r->chain_pem, /*secret=*/false);
        } catch (const std::exception& e) {
          logger("acme")->error("cannot keep the new certificate in {}: {}", folder_.string(), e.what());
        }
        install(r.value(), "new from " + settings_.directory_url());
      });
    });
  }
  timer_.expires_after(std::chrono::hours(12));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) check();
  });
}

}  // namespace mw::server::acme
