// SMTP settings, message text and transfer (smtp.hpp).
#include "mail/smtp.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <ctime>

#include "curl_common.hpp"
#include "mw/util/base64.hpp"
#include "mw/util/hex.hpp"

namespace mw::server::mail {

namespace {

using nlohmann::json;

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// Base64 in lines of 76 characters, each ending in CRLF (RFC 2045).
std::string base64_lines(std::string_view data) {
  const std::string b = mw::util::base64_encode(data);
  std::string out;
  out.reserve(b.size() + b.size() / 76 * 2 + 2);
  for (std::size_t i = 0; i < b.size(); i += 76) {
    out.append(b, i, 76);
    out += "\r\n";
  }
  return out;
}

// A header value as RFC 2047 encoded words when it is not plain ASCII; each word's text is at
// most 36 bytes (48 characters of base64), cut between UTF-8 characters, so lines stay under 78.
std::string header_text(std::string_view s) {
  if (ascii(s)) return std::string(s);
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t n = std::min<std::size_t>(36, s.size() - i);
    while (n > 0 && i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) --n;  // not inside a character
    if (n == 0) n = std::min<std::size_t>(36, s.size() - i);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + mw::util::base64_encode(s.substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  RAND_bytes(b.data(), static_cast<int>(b.size()));
  return mw::util::hex_encode(b);
}

struct Easy {
  CURL* c = curl_easy_init();
  curl_slist* rcpt = nullptr;
  std::array<char, CURL_ERROR_SIZE> err{};
  ~Easy() {
    if (rcpt) curl_slist_free_all(rcpt);
    if (c) curl_easy_cleanup(c);
  }
};

struct Reader {
  std::string_view data;
};

size_t read_cb(char* buf, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reader*>(user);
  const size_t len = std::min(size * n, r->data.size());
  std::memcpy(buf, r->data.data(), len);
  r->data.remove_prefix(len);
  return len;
}

size_t discard_cb(char*, size_t size, size_t n, void*) { return size * n; }

int progress_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;  // non-zero aborts the transfer
}

// The common options of a connection to the configured server.
void configure(Easy& e, const SmtpSettings& s, const std::atomic<bool>* cancel) {
  const std::string host = s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host;
  // libcurl takes the URL's path as the EHLO name.
  const std::string url = std::string(s.tls ? "smtps://" : "smtp://") + host + ":" + std::to_string(s.port) + "/" +
                          (s.name.empty() ? std::string() : s.name);
  curl_easy_setopt(e.c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e.c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(e.c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e.c, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(e.c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(e.c, CURLOPT_ERRORBUFFER, e.err.data());
  // A password never crosses the network in the clear: with a user, STARTTLS is required.
  if (!s.tls) curl_easy_setopt(e.c, CURLOPT_USE_SSL, s.user.empty() ? static_cast<long>(CURLUSESSL_TRY) : static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(e.c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(e.c, CURLOPT_SSL_VERIFYPEER, s.tls_cert_check ? 1L : 0L);
  curl_easy_setopt(e.c, CURLOPT_SSL_VERIFYHOST, s.tls_cert_check ? 2L : 0L);
  curl_trust_store(e.c);
  if (!s.user.empty()) {
    curl_easy_setopt(e.c, CURLOPT_USERNAME, s.user.c_str());
    curl_easy_setopt(e.c, CURLOPT_PASSWORD, s.pass.c_str());
  }
  curl_easy_setopt(e.c, CURLOPT_WRITEFUNCTION, discard_cb);
  if (cancel) {
    curl_easy_setopt(e.c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e.c, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(e.c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
  }
}

store::Status perform(Easy& e, const SmtpSettings& s) {
  const CURLcode rc = curl_easy_perform(e.c);
  if (rc == CURLE_OK) return store::Ok{};
  long answer = 0;
  curl_easy_getinfo(e.c, CURLINFO_RESPONSE_CODE, &answer);
  std::string msg = "SMTP server " + s.host + ":" + std::to_string(s.port) + ": " + curl_easy_strerror(rc);
  if (e.err[0] && std::string_view(e.err.data()) != curl_easy_strerror(rc)) msg += " (" + std::string(e.err.data()) + ")";
  if (answer) msg += ", last answer " + std::to_string(answer);
  if (rc == CURLE_USE_SSL_FAILED) msg += "; the server offers no STARTTLS, and a password is never sent in the clear";
  return mw::make_error("smtp", msg);
}

}  // namespace

mw::Result<SmtpSettings> smtp_settings(const json& section, std::vector<std::string>& warnings) {
  if (!section.is_object()) return mw::make_error("bad-smtp", "config.json smtp must be an object");
  SmtpSettings s;
  bool port_set = false;
  for (const auto& [key, v] : section.items()) {
    auto text = [&, k = key](std::string& out) -> mw::Result<bool> {
      if (!v.is_string() || has_line_break(v.get<std::string>())) {
        return mw::make_error("bad-smtp", "config.json smtp." + k + " must be text on one line");
      }
      out = v.get<std::string>();
      return true;
    };
    mw::Result<bool> r = true;
    if (!key.empty() && key[0] == '_') continue;
    if (key == "host") r = text(s.host);
    else if (key == "from") r = text(s.from);
    else if (key == "user") r = text(s.user);
    else if (key == "pass") r = text(s.pass);
    else if (key == "name") r = text(s.name);
    else if (key == "port") {
      if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 65535) {
        return mw::make_error("bad-smtp", "config.json smtp.port must be a port number (1-65535)");
      }
      s.port = v.get<int>();
      port_set = true;
    } else if (key == "tls" || key == "tlscertcheck") {
      if (!v.is_boolean()) return mw::make_error("bad-smtp", "config.json smtp." + key + " must be true or false");
      (key == "tls" ? s.tls : s.tls_cert_check) = v.get<bool>();
    } else if (key == "emaildelayseconds") {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 3600) {
        return mw::make_error("bad-smtp", "config.json smtp.emaildelayseconds must be a number of seconds (0-3600)");
      }
      s.delay_seconds = static_cast<int>(v.get<double>());
    } else if (key == "tlsstrict" || key == "verifyemail" || key == "auth") {
      warnings.push_back("config.json smtp." + key + " is not supported by this version of Meshwork; ignored");
    } else {
      warnings.push_back("config.json smtp." + key + " is not a setting of the smtp section; ignored");
    }
    if (!r) return r.error();
  }
  if (!port_set && s.tls) s.port = 465;
  if (s.from.empty() || !valid_address(s.from)) {
    return mw::make_error("bad-smtp", "config.json smtp.from must be the sender's email address");
  }
  if (s.host.empty() && !s.console()) return mw::make_error("bad-smtp", "config.json smtp.host is missing");
  if (s.user.empty() != s.pass.empty()) {
    return mw::make_error("bad-smtp", "config.json smtp: user and pass go together (both or neither)");
  }
  return s;
}

bool valid_address(std::string_view a) {
  if (a.empty() || a.size() > 254) return false;
  const auto at = a.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size() || a.find('@', at + 1) != std::string_view::npos) return false;
  for (unsigned char c : a) {
    if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"' || c == ',' || c == ';' || c == '(' || c == ')' ||
        c == '\\' || c == '[' || c == ']') {
      return false;
    }
  }
  const auto domain = a.substr(at + 1);
  return domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
}

std::string build_message(const Mail& m, const std::string& from, std::int64_t now_s, const std::string& id_host) {
  char date[64];
  const std::time_t t = static_cast<std::time_t>(now_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string subject = m.subject;
  for (char& c : subject) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  std::string h;
  h += "From: " + from + "\r\n";
  h += "To: " + m.to + "\r\n";
  h += "Subject: " + header_text(subject) + "\r\n";
  h += std::string("Date: ") + date + "\r\n";
  h += "Message-ID: <" + random_hex(16) + "@" + (id_host.empty() ? std::string("meshwork") : id_host) + ">\r\n";
  h += "MIME-Version: 1.0\r\n";
  h += "Auto-Submitted: auto-generated\r\n";
  auto part = [](const std::string& type, const std::string& body) {
    return "Content-Type: " + type + "; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64_lines(body);
  };
  if (m.html.empty()) return h + part("text/plain", m.text);
  const std::string boundary = "=_mw_" + random_hex(12);
  h += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  h += "--" + boundary + "\r\n" + part("text/plain", m.text);
  h += "--" + boundary + "\r\n" + part("text/html", m.html);
  h += "--" + boundary + "--\r\n";
  return h;
}

store::Status send_message(const SmtpSettings& s, const std::string& to, const std::string& message,
                           const std::atomic<bool>* cancel) {
  if (!valid_address(to)) return mw::make_error("bad-address", "not an email address: " + to);
  curl_init_once();
  Easy e;
  if (!e.c) return mw::make_error("smtp", "libcurl could not start a transfer");
  configure(e, s, cancel);
  const std::string from = "<" + s.from + ">";
  curl_easy_setopt(e.c, CURLOPT_MAIL_FROM, from.c_str());
  e.rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
  curl_easy_setopt(e.c, CURLOPT_MAIL_RCPT, e.rcpt);
  Reader r{message};
  curl_easy_setopt(e.c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e.c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(e.c, CURLOPT_READDATA, &r);
  curl_easy_setopt(e.c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  return perform(e, s);
}

store::Status check_server(const SmtpSettings& s, const std::atomic<bool>* cancel) {
  curl_init_once();
  Easy e;
  if (!e.c) return mw::make_error("smtp", "libcurl could not start a transfer");
  configure(e, s, cancel);
  // No recipient and no upload: libcurl sends this command instead of a mail.
  curl_easy_setopt(e.c, CURLOPT_CUSTOMREQUEST, "NOOP");
  return perform(e, s);
}

}  // namespace mw::server::mail
