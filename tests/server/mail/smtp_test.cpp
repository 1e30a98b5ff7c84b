// The smtp section, addresses and message text (mail/smtp.hpp); transfers are tested against a
// real SMTP server in tests/integration/mail_test.cpp.
#include "mail/smtp.hpp"

#include <gtest/gtest.h>

#include "mw/util/base64.hpp"

namespace {

using namespace mw::server::mail;
using nlohmann::json;

TEST(Smtp, SettingsFollowMeshCentralsKeys) {
  std::vector<std::string> warnings;
  auto s = smtp_settings(json{{"host", "smtp.example.com"}, {"from", "noreply@example.com"}, {"user", "u"}, {"pass", "p"},
                              {"tls", true}, {"tlscertcheck", false}, {"emaildelayseconds", 2}, {"verifyemail", true}, {"colour", 1}},
                         warnings);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->port, 465);  // SMTPS by default with tls
  EXPECT_TRUE(s->tls);
  EXPECT_FALSE(s->tls_cert_check);
  EXPECT_EQ(s->delay_seconds, 2);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("smtp.colour is not a setting"), std::string::npos);
  EXPECT_NE(warnings[1].find("smtp.verifyemail is not supported"), std::string::npos);

  warnings.clear();
  auto plain = smtp_settings(json{{"host", "mx"}, {"from", "a@b.c"}}, warnings);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 25);
  EXPECT_TRUE(plain->tls_cert_check);

  auto error_of = [&](json j) { auto r = smtp_settings(j, warnings); return r ? std::string() : r.error().message; };
  EXPECT_NE(error_of({{"host", "mx"}}).find("smtp.from"), std::string::npos);
  EXPECT_NE(error_of({{"from", "a@b.c"}}).find("smtp.host is missing"), std::string::npos);
  EXPECT_NE(error_of({{"host", "mx"}, {"from", "a@b.c"}, {"port", 70000}}).find("smtp.port"), std::string::npos);
  EXPECT_NE(error_of({{"host", "mx"}, {"from", "a@b.c"}, {"user", "u"}}).find("user and pass go together"), std::string::npos);
  EXPECT_NE(error_of({{"host", "mx\r\nRCPT TO:<x@y>"}, {"from", "a@b.c"}}).find("one line"), std::string::npos);
  EXPECT_NE(error_of({{"host", "mx"}, {"from", "a@b.c"}, {"tls", "yes"}}).find("true or false"), std::string::npos);
  EXPECT_NE(error_of(json::array()).find("must be an object"), std::string::npos);
  EXPECT_EQ(error_of({{"name", "console"}, {"from", "a@b.c"}}), "");  // console mode needs no host
}

TEST(Smtp, AddressesCannotCarryHeadersOrMoreRecipients) {
  EXPECT_TRUE(valid_address("bob@example.com"));
  EXPECT_TRUE(valid_address("bob+tag@sub.example.co"));
  for (const char* bad : {"", "bob", "@example.com", "bob@", "bob@example.com\r\nBcc: x@y.z", "bob@example.com>", "<bob@example.com",
                          "bob smith@example.com", "a@b@c", "bob@.example.com", "bob@example..com", "a@b.c,d@e.f", "\"a\"@b.c"}) {
    EXPECT_FALSE(valid_address(bad)) << bad;
  }
  EXPECT_FALSE(valid_address(std::string(250, 'a') + "@b.co"));
}

std::string decode_lines(const std::string& text) {
  std::string joined;
  for (char c : text) {
    if (c != '\r' && c != '\n') joined.push_back(c);
  }
  auto raw = mw::util::base64_decode(joined);
  return raw ? std::string(raw->begin(), raw->end()) : "<bad base64>";
}

TEST(Smtp, MessagesAreMimeWithEncodedHeadersAndShortLines) {
  Mail m{"bob@example.com", "Vérification – compte \"réseau\"\r\nBcc: evil@x.y", std::string(200, 'x') + "\nline two é", "<p>hi</p>"};
  const std::string msg = build_message(m, "noreply@example.com", 1700000000, "mesh.example.com");
  EXPECT_EQ(msg.rfind("From: noreply@example.com\r\nTo: bob@example.com\r\nSubject: =?UTF-8?B?", 0), 0u);
  EXPECT_NE(msg.find("\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"), std::string::npos);
  EXPECT_NE(msg.find("@mesh.example.com>\r\n"), std::string::npos);
  EXPECT_NE(msg.find("Content-Type: multipart/alternative; boundary="), std::string::npos);
  // The subject's line break cannot start a header of its own.
  EXPECT_EQ(msg.find("\r\nBcc:"), std::string::npos);
  // Every line ends in CRLF and is at most 78 characters; no bare LF.
  std::size_t start = 0;
  while (start < msg.size()) {
    const auto end = msg.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 78u) << msg.substr(start, end - start);
    EXPECT_EQ(msg.substr(start, end - start).find('\n'), std::string::npos);
    start = end + 2;
  }
  // The encoded subject decodes back (words joined), with the line break turned into a space.
  std::string subject;
  const auto s0 = msg.find("Subject: ") + 9;
  const std::string folded = msg.substr(s0, msg.find("\r\nDate:") - s0);
  for (std::size_t at = 0; (at = folded.find("=?UTF-8?B?", at)) != std::string::npos;) {
    const auto end = folded.find("?=", at + 10);
    subject += decode_lines(folded.substr(at + 10, end - at - 10));
    at = end;
  }
  EXPECT_EQ(subject, "Vérification – compte \"réseau\"  Bcc: evil@x.y");
  // The text part decodes back.
  const auto text_at = msg.find("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
  ASSERT_NE(text_at, std::string::npos);
  const auto body = msg.find("\r\n\r\n", text_at) + 4;
  EXPECT_EQ(decode_lines(msg.substr(body, msg.find("\r\n--", body) - body)), m.text);
  // Text only: no multipart.
  const std::string plain = build_message(Mail{"bob@example.com", "Hi", "text", ""}, "a@b.c", 0, "");
  EXPECT_EQ(plain.find("multipart"), std::string::npos);
  EXPECT_NE(plain.find("Subject: Hi\r\n"), std::string::npos);
}

}  // namespace
