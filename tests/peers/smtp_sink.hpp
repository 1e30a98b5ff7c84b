// A real SMTP server for tests that send mail: aiosmtpd (Debian's python3-aiosmtpd, run by
// tests/peers/smtp/smtp_sink.py) on 127.0.0.1 with an ephemeral port, keeping what it accepts.
// Modes: STARTTLS offered, TLS from the first byte (SMTPS), or plain (no STARTTLS at all). With a
// user, AUTH is required (and accepted even without TLS, so a client that sent its password in
// the clear would be caught doing it).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process.hpp"

namespace mw::test::peer {

class SmtpSink {
 public:
  enum class Mode { kStartTls, kSmtps, kPlain };
  SmtpSink(Mode mode, const std::string& user = {}, const std::string& pass = {}) {
    if (mode != Mode::kPlain && !make_certificate()) return;
    std::vector<std::string> argv{"/usr/bin/python3", std::string(MW_SOURCE_DIR) + "/tests/peers/smtp/smtp_sink.py",
                                  "--dir", dir_.path.string(), "--mode",
                                  mode == Mode::kStartTls ? "starttls" : mode == Mode::kSmtps ? "smtps" : "plain"};
    if (mode != Mode::kPlain) argv.insert(argv.end(), {"--cert", cert().string(), "--key", (dir_.path / "sink.key").string()});
    if (!user.empty()) argv.insert(argv.end(), {"--user", user, "--pass", pass});
    proc_ = std::make_unique<OutputChild>(argv, dir_.path / "sink.log");
    if (!proc_->wait_for("\n", std::chrono::seconds(20))) return;
    const auto first = nlohmann::json::parse(proc_->output.substr(0, proc_->output.find('\n')), nullptr, false);
    if (first.is_object() && first.contains("listening")) port_ = first["listening"].get<int>();
    read_ = proc_->output.find('\n') + 1;
  }
  int port() const { return port_; }
  // The sink's certificate (self-signed, for 127.0.0.1): a trust anchor for a client that checks it.
  fs::path cert() const { return dir_.path / "sink.crt"; }
  std::string log() const { return read_file(dir_.path / "sink.log"); }

  // The next event line ({"mail": FILE, "from", "to", "tls", "auth"} or {"auth": ...}), or null
  // when none comes within `within`.
  nlohmann::json next(std::chrono::seconds within = std::chrono::seconds(30)) {
    if (!proc_ || !proc_->wait_for("\n", within, read_)) return nullptr;
    const auto end = proc_->output.find('\n', read_);
    auto j = nlohmann::json::parse(proc_->output.substr(read_, end - read_), nullptr, false);
    read_ = end + 1;
    return j;
  }
  // The next accepted message (skipping AUTH lines), or null.
  nlohmann::json next_mail(std::chrono::seconds within = std::chrono::seconds(30)) {
    for (;;) {
      auto j = next(within);
      if (!j.is_object() || j.contains("mail")) return j;
    }
  }
  // Everything it printed so far, unread lines included (to check what did NOT happen).
  std::string events() {
    if (proc_) proc_->wait_for("\x01", std::chrono::seconds(0));  // picks up what is ready
    return proc_ ? proc_->output : std::string();
  }

 private:
  bool make_certificate() {
    const std::string d = dir_.path.string();
    const auto r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", d + "/sink.key",
                        "-out", d + "/sink.crt"},
                       current_env(), std::chrono::seconds(60));
    return r.status == 0;
  }

  TempDir dir_;
  std::unique_ptr<OutputChild> proc_;
  int port_ = 0;
  std::size_t read_ = 0;
};

}  // namespace mw::test::peer
