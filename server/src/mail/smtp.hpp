// SMTP for the server's mail (account verification, password reset): the "smtp" section of
// config.json with MeshCentral's keys, the text of one message (RFC 5322, MIME), and its transfer
// with libcurl (SMTP with STARTTLS, or SMTPS; AUTH when a user is set).
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"
#include "store/store.hpp"

namespace mw::server::mail {

struct SmtpSettings {
  std::string host;
  int port = 25;              // 465 by default with tls
  std::string from;           // the sender address (required)
  std::string user, pass;     // AUTH; pass is secret
  bool tls = false;           // TLS from the first byte (SMTPS); otherwise STARTTLS when offered
  bool tls_cert_check = true; // tlscertcheck: false accepts any certificate (MeshCentral's switch)
  std::string name;           // EHLO name; "console" prints mails to the log instead of sending
  int delay_seconds = 0;      // emaildelayseconds: at least this long between two mails
  bool console() const { return name == "console"; }
};

// Reads config.json "smtp" (keys already lower-cased). Unknown or unsupported keys add a warning;
// missing host or from, or mistyped values, are errors ("bad-smtp").
mw::Result<SmtpSettings> smtp_settings(const nlohmann::json& section, std::vector<std::string>& warnings);

// One address: local@domain, no spaces, angle brackets, quotes or line breaks (so it cannot add
// a header or a recipient), at most 254 characters.
bool valid_address(std::string_view address);

struct Mail {
  std::string to;       // one valid address
  std::string subject;  // one line
  std::string text;     // the plain-text part (UTF-8)
  std::string html;     // the HTML part (UTF-8); empty: text only
};

// The whole message: From, To, Subject (RFC 2047 when not ASCII), Date, Message-ID (@id_host),
// MIME-Version, then the text (and HTML, as multipart/alternative) in base64 with CRLF lines.
std::string build_message(const Mail& mail, const std::string& from, std::int64_t now_s, const std::string& id_host);

// Sends one message to `to` through the configured server. Errors are for logs and never hold
// the password: "smtp" with curl's description and the server's answer.
// `cancel`, when given and set, ends a transfer in progress within a second (server shutdown).
store::Status send_message(const SmtpSettings& s, const std::string& to, const std::string& message,
                           const std::atomic<bool>* cancel = nullptr);

// Connects, says EHLO, starts TLS and authenticates as a send would, then NOOP and QUIT.
store::Status check_server(const SmtpSettings& s, const std::atomic<bool>* cancel = nullptr);

}  // namespace mw::server::mail
