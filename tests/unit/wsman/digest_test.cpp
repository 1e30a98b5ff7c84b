// shared/wsman Digest authentication: RFC 7616 section 3.9.1 (MD5 and SHA-256) and RFC 2617
// section 3.5 responses; challenge parsing (quoted strings with commas and escapes, unquoted
// tokens, qop lists, several challenges, token68); the client's nonce count; AMT's and
// MeshCentral's header forms; the device's check of every way credentials can be wrong.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "mw/util/hex.hpp"
#include "mw/util/md5.hpp"
#include "mw/wsman/digest.hpp"

namespace {

using namespace mw::wsman;

constexpr std::string_view kRfcChallenge =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=%ALG%, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
constexpr std::string_view kRfcCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

std::string rfc_challenge(std::string_view alg) {
  std::string s(kRfcChallenge);
  s.replace(s.find("%ALG%"), 5, alg);
  return s;
}

TEST(DigestRfc7616, Md5AndSha256Examples) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
      {"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
  };
  for (const auto& [alg, want] : cases) {
    DigestClient client("Mufasa", "Circle of Life");
    ASSERT_FALSE(client.on_challenge(rfc_challenge(alg)).has_value());
    auto header = client.authorization("GET", "/dir/index.html", kRfcCnonce);
    ASSERT_TRUE(header.ok()) << header.error().message;
    auto creds = parse_digest_credentials(*header);
    ASSERT_TRUE(creds.ok()) << creds.error().message;
    EXPECT_EQ(creds->response, want) << alg;
    EXPECT_EQ(creds->nc, "00000001");
    EXPECT_EQ(creds->qop, "auth");
    EXPECT_EQ(creds->cnonce, kRfcCnonce);
    EXPECT_EQ(creds->opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
    EXPECT_EQ(digest_algorithm_name(creds->algorithm), alg);
    // RFC 7616 3.4: nc, qop and algorithm unquoted.
    EXPECT_NE(header->find(", nc=00000001,"), std::string::npos) << *header;
    EXPECT_NE(header->find(", qop=auth,"), std::string::npos);
    EXPECT_NE(header->find(", algorithm=" + std::string(alg) + ","), std::string::npos);
    EXPECT_EQ(header->rfind("Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\"", 0), 0u);
  }
  // The same computation from the credentials alone.
  DigestCredentials c{"Mufasa", "http-auth@example.org", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                      "/dir/index.html", "", std::string(kRfcCnonce), "00000001", "auth", "", DigestAlgorithm::kSha256,
                      true, false};
  EXPECT_EQ(digest_response(c, "Circle of Life", "GET"), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestRfc2617, Section35Example) {
  DigestCredentials c{"Mufasa", "testrealm@host.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "/dir/index.html", "",
                      "0a4f113b", "00000001", "auth", "5ccc069c403ebaf9f0171e9517f40e41", DigestAlgorithm::kMd5,
                      false, false};
  EXPECT_EQ(digest_response(c, "Circle Of Life", "GET"), "6629fae49393a05397450978507c4ef1");
}

TEST(DigestChallengeParsing, QuotedStringsTokensAndQopLists) {
  auto c = parse_digest_challenge(
      R"(Digest realm="a, \"quoted\" realm\\x", nonce=abc123, qop="auth-int,  auth", stale=TRUE, opaque="", algorithm=MD5-sess, domain="/wsman /other", charset=UTF-8, userhash=false)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->realm, R"(a, "quoted" realm\x)");
  EXPECT_EQ(c->nonce, "abc123");
  EXPECT_EQ(c->qop, (std::vector<std::string>{"auth-int", "auth"}));
  EXPECT_TRUE(c->stale);
  EXPECT_EQ(c->opaque, "");
  EXPECT_EQ(c->algorithm, DigestAlgorithm::kMd5Sess);
  EXPECT_TRUE(c->algorithm_sent);
  EXPECT_EQ(c->domain, "/wsman /other");
  EXPECT_EQ(c->charset, "UTF-8");
  EXPECT_FALSE(c->userhash);

  // AMT's own form (fact sheet) with quoted stale and a single qop; RFC 2069 without qop.
  auto amt = parse_digest_challenge(R"(Digest realm="Digest:A3829B3827DE4D33D4449B366831FD01", nonce="xyz", stale="false", qop="auth")");
  ASSERT_TRUE(amt.ok());
  EXPECT_FALSE(amt->stale);
  EXPECT_EQ(amt->qop, std::vector<std::string>{"auth"});
  EXPECT_EQ(amt->algorithm, DigestAlgorithm::kMd5);
  EXPECT_FALSE(amt->algorithm_sent);
  auto legacy = parse_digest_challenge(R"(digest realm=r,nonce=n)");
  ASSERT_TRUE(legacy.ok());
  EXPECT_TRUE(legacy->qop.empty());
}

TEST(DigestChallengeParsing, SeveralChallengesAndToken68) {
  auto all = parse_auth_challenges(
      R"(Negotiate, Basic realm="b", charset="UTF-8", Newauth YWJjZA==, Digest realm="d", qop="auth", algorithm=MD5, nonce="1", Digest realm="d", qop="auth", algorithm=SHA-256, nonce="2")");
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].scheme, "Negotiate");
  EXPECT_TRUE((*all)[0].params.empty());
  EXPECT_EQ((*all)[1].params.size(), 2u);
  EXPECT_EQ((*all)[2].token68, "YWJjZA==");
  EXPECT_EQ((*all)[4].param("ALGORITHM")->value, "SHA-256");
  auto best = parse_digest_challenge(
      R"(Negotiate, Digest realm="d", qop="auth", algorithm=MD5, nonce="1", Digest realm="d", qop="auth", algorithm=SHA-256, nonce="2")");
  ASSERT_TRUE(best.ok());
  EXPECT_EQ(best->algorithm, DigestAlgorithm::kSha256);
  EXPECT_EQ(best->nonce, "2");
}

TEST(DigestChallengeParsing, MalformedChallenges) {
  EXPECT_EQ(parse_digest_challenge(R"(Digest realm="open)").error().code, "auth-syntax");
  EXPECT_EQ(parse_digest_challenge(R"(Digest realm="a" nonce="b")").error().code, "auth-syntax");
  EXPECT_EQ(parse_digest_challenge(R"(Digest realm=, nonce="b")").error().code, "auth-syntax");
  EXPECT_EQ(parse_digest_challenge(R"(Digest realm="a", realm="b", nonce="c")").error().code, "auth-syntax");
  EXPECT_EQ(parse_digest_challenge(R"(Digest realm="a\)").error().code, "auth-syntax");
  EXPECT_EQ(parse_digest_challenge(R"(Digest nonce="b")").error().code, "digest-missing-field");
  EXPECT_EQ(parse_digest_challenge(R"(Digest realm="a", nonce="b", algorithm=SHA-512-256)").error().code,
            "digest-unsupported-algorithm");
  EXPECT_EQ(parse_digest_challenge(R"(Basic realm="a")").error().code, "digest-none");
  EXPECT_EQ(parse_digest_challenge("").error().code, "digest-none");
  EXPECT_EQ(parse_auth_challenges(std::string(20000, 'a')).error().code, "auth-too-long");
  EXPECT_EQ(parse_auth_challenges("Digest realm=\"a\x01\"").error().code, "auth-syntax");
}

TEST(DigestClient, NonceCountAndRealmPinning) {
  DigestClient client("admin", "P@ssw0rd");
  EXPECT_EQ(client.authorization("POST", "/wsman", "c").error().code, "digest-no-challenge");
  ASSERT_FALSE(client.on_challenge(R"(Digest realm="Digest:AB", nonce="n1", stale="false", qop="auth")").has_value());
  for (std::uint32_t i = 1; i <= 3; ++i) {
    auto h = client.authorization("POST", "/wsman", "cnonce-" + std::to_string(i));
    ASSERT_TRUE(h.ok());
    auto c = parse_digest_credentials(*h);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(nonce_count_value(c->nc), i);
    EXPECT_FALSE(c->algorithm_sent);  // the challenge named none, so neither does the answer
  }
  EXPECT_EQ(client.nonce_count(), 3u);
  // Same nonce again (a 401 for another reason): the count continues; a new nonce restarts it.
  ASSERT_FALSE(client.on_challenge(R"(Digest realm="Digest:AB", nonce="n1", qop="auth")").has_value());
  EXPECT_EQ(client.nonce_count(), 3u);
  ASSERT_FALSE(client.on_challenge(R"(Digest realm="Digest:AB", nonce="n2", stale="true", qop="auth")").has_value());
  EXPECT_EQ(client.nonce_count(), 0u);
  EXPECT_EQ(client.authorization("POST", "/wsman", "").error().code, "digest-missing-cnonce");

  client.pin_realm("Digest:AB");
  EXPECT_EQ(client.on_challenge(R"(Digest realm="Digest:EVIL", nonce="n3", qop="auth")")->code, "digest-realm-mismatch");
  EXPECT_EQ(client.challenge()->nonce, "n2");

  DigestClient int_only("u", "p");
  ASSERT_FALSE(int_only.on_challenge(R"(Digest realm="r", nonce="n", qop="auth-int")").has_value());
  auto h = int_only.authorization("POST", "/wsman", "c", "<body/>");
  ASSERT_TRUE(h.ok());
  auto c = parse_digest_credentials(*h);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->qop, "auth-int");
  DigestExpectation e{"r", "n", "", "POST", "/wsman", "<body/>"};
  EXPECT_EQ(verify_digest(*c, "u", "p", e), DigestVerdict::kOk);
  e.body = "<other/>";
  EXPECT_EQ(verify_digest(*c, "u", "p", e), DigestVerdict::kBadResponse);

  DigestClient odd_qop("u", "p");
  ASSERT_FALSE(odd_qop.on_challenge(R"(Digest realm="r", nonce="n", qop="auth-conf")").has_value());
  EXPECT_EQ(odd_qop.authorization("POST", "/wsman", "c").error().code, "digest-unsupported-qop");
}

TEST(DigestDevice, AmtChallengeClientAnswerDeviceCheck) {
  // The device's 401 (AMT's form), our client's answer, the device's verdict, for each algorithm.
  for (DigestAlgorithm alg : {DigestAlgorithm::kMd5, DigestAlgorithm::kMd5Sess, DigestAlgorithm::kSha256,
                              DigestAlgorithm::kSha256Sess}) {
    DigestChallenge ch;
    ch.realm = "Digest:0123456789ABCDEF0123456789ABCDEF";
    ch.nonce = "4d2f1a7c9e0b3d5f";
    ch.qop = {"auth"};
    ch.algorithm = alg;
    ch.algorithm_sent = alg != DigestAlgorithm::kMd5;
    ch.opaque = alg == DigestAlgorithm::kSha256 ? "op" : "";
    auto www = format_digest_challenge(ch);
    ASSERT_TRUE(www.ok());
    if (alg == DigestAlgorithm::kMd5) {
      EXPECT_EQ(*www, R"(Digest realm="Digest:0123456789ABCDEF0123456789ABCDEF", nonce="4d2f1a7c9e0b3d5f", stale="false", qop="auth")");
    }
    auto parsed = parse_digest_challenge(*www);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, ch);

    DigestClient client("admin", "P@ssw0rd");
    ASSERT_FALSE(client.on_challenge(*www).has_value());
    auto h = client.authorization("POST", "/wsman", "0a4f113b");
    ASSERT_TRUE(h.ok());
    auto c = parse_digest_credentials(*h);
    ASSERT_TRUE(c.ok());
    const DigestExpectation e{ch.realm, ch.nonce, ch.opaque, "POST", "/wsman", ""};
    EXPECT_EQ(verify_digest(*c, "admin", "P@ssw0rd", e), DigestVerdict::kOk) << digest_algorithm_name(alg);
    EXPECT_EQ(verify_digest(*c, "admin", "wrong", e), DigestVerdict::kBadResponse);
  }
}

TEST(DigestDevice, AcceptsMeshCentralAndMeshCommanderForms) {
  const std::string realm = "Digest:0123456789ABCDEF0123456789ABCDEF";
  const std::string nonce = "4d2f1a7c9e0b3d5f";
  auto md5 = [](std::string_view s) { return mw::util::hex_encode(mw::util::md5(s)); };
  // MeshCentral quotes everything and counts nc in decimal, hashing the string it sends.
  const std::string ha1 = md5("admin:" + realm + ":P@ssw0rd");
  const std::string ha2 = md5("POST:/wsman");
  const std::string mc_response = md5(ha1 + ":" + nonce + ":12:abcdef0123456789:auth:" + ha2);
  const std::string meshcentral = "Digest username=\"admin\",realm=\"" + realm + "\",nonce=\"" + nonce +
                                  "\",uri=\"/wsman\",qop=\"auth\",response=\"" + mc_response +
                                  "\",nc=\"12\",cnonce=\"abcdef0123456789\"";
  auto c = parse_digest_credentials(meshcentral);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->nc, "12");
  const DigestExpectation e{realm, nonce, "", "POST", "/wsman", ""};
  EXPECT_EQ(verify_digest(*c, "admin", "P@ssw0rd", e), DigestVerdict::kOk);
  EXPECT_EQ(nonce_count_value(c->nc), 0x12u);

  // MeshCommander/fact sheet: nc and qop unquoted, 8 hex digits.
  const std::string r2 = md5(ha1 + ":" + nonce + ":00000001:0a4f113b:auth:" + ha2);
  auto c2 = parse_digest_credentials("Digest username=\"admin\",realm=\"" + realm + "\",nonce=\"" + nonce +
                                     "\",uri=\"/wsman\",qop=auth,response=\"" + r2 + "\",nc=00000001,cnonce=\"0a4f113b\"");
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(verify_digest(*c2, "admin", "P@ssw0rd", e), DigestVerdict::kOk);
  // Upper-case hex in the response is the same response.
  std::string upper = c2->response;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  c2->response = upper;
  EXPECT_EQ(verify_digest(*c2, "admin", "P@ssw0rd", e), DigestVerdict::kOk);
}

TEST(DigestDevice, EveryWrongCredentialHasAVerdict) {
  DigestClient client("admin", "pw");
  ASSERT_FALSE(client.on_challenge(R"(Digest realm="R", nonce="N", opaque="O", qop="auth")").has_value());
  auto good = parse_digest_credentials(*client.authorization("POST", "/wsman", "cn"));
  ASSERT_TRUE(good.ok());
  const DigestExpectation e{"R", "N", "O", "POST", "/wsman", ""};
  EXPECT_EQ(verify_digest(*good, "admin", "pw", e), DigestVerdict::kOk);
  auto with = [&](auto change) {
    DigestCredentials c = *good;
    change(c);
    return verify_digest(c, "admin", "pw", e);
  };
  EXPECT_EQ(with([](DigestCredentials& c) { c.realm = "X"; }), DigestVerdict::kWrongRealm);
  EXPECT_EQ(with([](DigestCredentials& c) { c.username = "root"; }), DigestVerdict::kWrongUser);
  EXPECT_EQ(with([](DigestCredentials& c) { c.nonce = "OLD"; }), DigestVerdict::kStaleNonce);
  EXPECT_EQ(with([](DigestCredentials& c) { c.opaque = "P"; }), DigestVerdict::kWrongOpaque);
  EXPECT_EQ(with([](DigestCredentials& c) { c.uri = "/other"; }), DigestVerdict::kWrongUri);
  EXPECT_EQ(with([](DigestCredentials& c) { c.cnonce.clear(); }), DigestVerdict::kMissingField);
  EXPECT_EQ(with([](DigestCredentials& c) { c.nc.clear(); }), DigestVerdict::kMissingField);
  EXPECT_EQ(with([](DigestCredentials& c) { c.qop = "auth-conf"; }), DigestVerdict::kUnsupported);
  EXPECT_EQ(with([](DigestCredentials& c) { c.algorithm = DigestAlgorithm::kUnsupported; }), DigestVerdict::kUnsupported);
  EXPECT_EQ(with([](DigestCredentials& c) { c.nc = "00000002"; }), DigestVerdict::kBadResponse);
  EXPECT_EQ(with([](DigestCredentials& c) { c.response = "00"; }), DigestVerdict::kBadResponse);
  EXPECT_EQ(digest_verdict_name(DigestVerdict::kStaleNonce), "stale nonce");

  EXPECT_EQ(parse_digest_credentials("Basic YWRtaW46cHc=").error().code, "digest-none");
  EXPECT_EQ(parse_digest_credentials(R"(Digest username="a", realm="b")").error().code, "digest-missing-field");
  EXPECT_FALSE(nonce_count_value("123456789").has_value());
  EXPECT_FALSE(nonce_count_value("xyz").has_value());
}

TEST(DigestDevice, UserhashAndHeaderSafety) {
  DigestClient client("Mufasa", "Circle of Life");
  ASSERT_FALSE(client.on_challenge(R"(Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256, userhash=true)").has_value());
  auto c = parse_digest_credentials(*client.authorization("GET", "/", "cn"));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->userhash);
  EXPECT_EQ(c->username, digest_userhash(DigestAlgorithm::kSha256, "Mufasa", "r"));
  const DigestExpectation e{"r", "n", "", "GET", "/", ""};
  EXPECT_EQ(verify_digest(*c, "Mufasa", "Circle of Life", e), DigestVerdict::kOk);
  EXPECT_EQ(verify_digest(*c, "Simba", "Circle of Life", e), DigestVerdict::kWrongUser);

  // Quotes and backslashes in a user name survive; line breaks cannot be sent at all.
  DigestClient quoted("a\"b\\c", "p");
  ASSERT_FALSE(quoted.on_challenge(R"(Digest realm="r", nonce="n", qop="auth")").has_value());
  auto h = quoted.authorization("POST", "/wsman", "cn");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(parse_digest_credentials(*h)->username, "a\"b\\c");
  DigestClient broken("a\r\nX: y", "p");
  ASSERT_FALSE(broken.on_challenge(R"(Digest realm="r", nonce="n", qop="auth")").has_value());
  EXPECT_EQ(broken.authorization("POST", "/wsman", "cn").error().code, "digest-bad-value");
  DigestChallenge bad;
  bad.realm = "r\n";
  EXPECT_EQ(format_digest_challenge(bad).error().code, "digest-bad-value");
}

}  // namespace
