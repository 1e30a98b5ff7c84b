// MeshCentral-format encrypted cookies: round trip, tampering, wrong key, expiry rules, and
// interoperability with an independent implementation (Node's crypto, as MeshCentral uses).
#include <gtest/gtest.h>

#include <cstdio>

#include "auth/cookie.hpp"
#include "mw/util/hex.hpp"

namespace {

using namespace mw::server::auth;
using nlohmann::json;

constexpr std::int64_t kNow = 1'800'000'000;

TEST(Cookie, RoundTripAddsTime) {
  const auto key = new_cookie_key();
  ASSERT_EQ(key.size(), 80u);
  const std::string c = encode_cookie({{"u", "user//admin"}, {"a", 3}}, key, kNow);
  EXPECT_EQ(c.find_first_of("+/"), std::string::npos);  // MeshCentral's alphabet: @ and $
  auto d = decode_cookie(c, key, kNow + 60, 60);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d.value()["u"], "user//admin");
  EXPECT_EQ(d.value()["a"], 3);
  EXPECT_EQ(d.value()["time"], kNow);
}

TEST(Cookie, WrongKeyTamperedOrGarbageIsRefused) {
  const auto key = new_cookie_key();
  const auto other = new_cookie_key();
  const std::string c = encode_cookie({{"u", "user//admin"}}, key, kNow);
  EXPECT_EQ(decode_cookie(c, other, kNow, 60).error().code, "bad-cookie");
  std::string t = c;
  t[t.size() / 2] = t[t.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(decode_cookie(t, key, kNow, 60).error().code, "bad-cookie");
  for (const char* g : {"", "abc", "@@@@", "not a cookie at all!"}) {
    EXPECT_EQ(decode_cookie(g, key, kNow, 60).error().code, "bad-cookie") << g;
  }
  EXPECT_EQ(decode_cookie(std::string(100000, 'A'), key, kNow, 60).error().code, "bad-cookie");
}

TEST(Cookie, ExpiryRules) {
  const auto key = new_cookie_key();
  const std::string c = encode_cookie({{"u", "x"}}, key, kNow);
  EXPECT_TRUE(decode_cookie(c, key, kNow + 60 * 60, 60).ok());
  EXPECT_EQ(decode_cookie(c, key, kNow + 60 * 60 + 1, 60).error().code, "expired");
  EXPECT_EQ(decode_cookie(c, key, kNow - 31, 60).error().code, "future");
  EXPECT_TRUE(decode_cookie(c, key, kNow - 30, 60).ok());
  // Its own "expire" (minutes) wins over the caller's timeout; 0 never expires.
  const std::string e = encode_cookie({{"u", "x"}, {"expire", 5}}, key, kNow);
  EXPECT_TRUE(decode_cookie(e, key, kNow + 300, 60).ok());
  EXPECT_EQ(decode_cookie(e, key, kNow + 301, 60).error().code, "expired");
  const std::string never = encode_cookie({{"u", "x"}, {"expire", 0}}, key, kNow);
  EXPECT_TRUE(decode_cookie(never, key, kNow + 10LL * 365 * 86400, 60).ok());
}

// A cookie made by Node's crypto exactly as MeshCentral's encodeCookie does decodes here, and
// one made here decodes there.
TEST(Cookie, InteroperatesWithNodeCryptoImplementation) {
  const auto key = new_cookie_key();
  const std::string hex = mw::util::hex_encode(key);
  const std::string script =
      "const c=require('crypto');const key=Buffer.from('" + hex + "','hex').slice(0,32);"
      "const mk=(o)=>{const iv=c.randomBytes(12);const ci=c.createCipheriv('aes-256-gcm',key,iv);"
      "const ct=Buffer.concat([ci.update(JSON.stringify(o),'utf8'),ci.final()]);"
      "return Buffer.concat([iv,ci.getAuthTag(),ct]).toString('base64').replace(/\\+/g,'@').replace(/\\//g,'$');};"
      "const rd=(s)=>{const b=Buffer.from(s.replace(/@/g,'+').replace(/\\$/g,'/'),'base64');"
      "const d=c.createDecipheriv('aes-256-gcm',key,b.slice(0,12));d.setAuthTag(b.slice(12,28));"
      "return JSON.parse(Buffer.concat([d.update(b.slice(28)),d.final()]).toString());};"
      "const mine=process.argv[1];const o=rd(mine);"
      "console.log(mk({u:'user//node',a:3,time:" + std::to_string(kNow) + "})+' '+o.u+' '+o.time);";
  const std::string ours = encode_cookie({{"u", "user//ours"}}, key, kNow);
  const std::string cmd = "node -e \"" + [&] {
    std::string s;
    for (char ch : script) {
      if (ch == '"' || ch == '\\' || ch == '$' || ch == '`') s += '\\';
      s += ch;
    }
    return s;
  }() + "\" '" + ours + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ASSERT_EQ(::pclose(p), 0) << buf;
  const std::string out(buf, n);
  const auto sp1 = out.find(' ');
  const auto sp2 = out.find(' ', sp1 + 1);
  ASSERT_NE(sp2, std::string::npos) << out;
  EXPECT_EQ(out.substr(sp1 + 1, sp2 - sp1 - 1), "user//ours");
  EXPECT_EQ(std::stoll(out.substr(sp2 + 1)), kNow);
  auto theirs = decode_cookie(out.substr(0, sp1), key, kNow, 60);
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  EXPECT_EQ(theirs.value()["u"], "user//node");
}

}  // namespace
