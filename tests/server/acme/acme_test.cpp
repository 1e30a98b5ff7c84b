// The letsencrypt section and certificate checks (acme/); orders are tested against pebble in
// tests/integration/acme_test.cpp.
#include <gtest/gtest.h>

#include "acme/acme.hpp"
#include "acme/lets_encrypt.hpp"
#include "certs.hpp"

namespace {

using namespace mw::server::acme;
using nlohmann::json;

TEST(LetsEncryptSettings, MeshCentralsKeys) {
  std::vector<std::string> warnings;
  auto s = parse_settings(json{{"email", "a@b.c"}, {"names", "Mesh.Example.com, www.example.com"}, {"rsakeysize", 4096},
                               {"production", true}, {"skipchallengeverification", true}, {"colour", 1}},
                          warnings);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->names, (std::vector<std::string>{"mesh.example.com", "www.example.com"}));
  EXPECT_EQ(s->rsa_key_size, 4096);
  EXPECT_EQ(s->directory_url(), kLetsEncryptProduction);
  EXPECT_EQ(warnings.size(), 2u);
  auto staging = parse_settings(json{{"email", "a@b.c"}, {"names", json::array({"x.example.com"})}}, warnings);
  ASSERT_TRUE(staging);
  EXPECT_EQ(staging->directory_url(), kLetsEncryptStaging);
  EXPECT_EQ(staging->rsa_key_size, 3072);

  auto error_of = [&](json j) { auto r = parse_settings(j, warnings); return r ? std::string() : r.error().message; };
  EXPECT_NE(error_of({{"names", "x.com"}}).find("letsencrypt.email"), std::string::npos);
  EXPECT_NE(error_of({{"email", "a@b.c"}}).find("letsencrypt.names"), std::string::npos);
  EXPECT_NE(error_of({{"email", "a@b.c"}, {"names", "x.com"}, {"rsakeysize", 1024}}).find("rsaKeySize"), std::string::npos);
  EXPECT_NE(error_of({{"email", "a@b.c"}, {"names", "x.com"}, {"directory", "http://ca.example/dir"}}).find("https://"), std::string::npos);
  EXPECT_NE(error_of({{"email", "a@b.c"}, {"names", "x.com/evil"}}).find("is not a host name"), std::string::npos);
  EXPECT_NE(error_of({{"email", "a@b.c"}, {"names", "x.com"}, {"production", "yes"}}).find("wrong type"), std::string::npos);
}

TEST(LetsEncryptSettings, ACertificateCoversItsNamesUntilItEnds) {
  // A self-signed certificate for mesh.test made by the server's own certificate code.
  const auto dir = std::filesystem::temp_directory_path() / ("mw-acme-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto store = mw::server::CertificateStore::load_or_create(dir, "mesh.test", mw::server::CertAlgorithm::kEcdsaP384, "");
  const std::string pem = store.web().cert_pem;
  const auto days = LetsEncrypt::days_left(pem, {"mesh.test"});
  ASSERT_TRUE(days.has_value());
  EXPECT_GT(*days, 300);
  EXPECT_FALSE(LetsEncrypt::days_left(pem, {"mesh.test", "other.test"}).has_value());
  EXPECT_FALSE(LetsEncrypt::days_left("not a certificate", {"mesh.test"}).has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
