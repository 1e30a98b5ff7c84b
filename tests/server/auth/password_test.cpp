// Password hashing: PBKDF2-SHA-384 format, verification, salts, rehash policy, malformed input.
#include <gtest/gtest.h>

#include "auth/password.hpp"

namespace {

using namespace mw::server::auth;

TEST(Password, HashVerifiesAndRejectsOthers) {
  const std::string h = hash_password("correct horse", 1000);
  EXPECT_EQ(h.rfind("pbkdf2-sha384$1000$", 0), 0u) << h;
  EXPECT_TRUE(verify_password("correct horse", h));
  EXPECT_FALSE(verify_password("correct horsf", h));
  EXPECT_FALSE(verify_password("", h));
  EXPECT_NE(hash_password("correct horse", 1000), h);  // a fresh salt every time
}

TEST(Password, DefaultCostAndRehashPolicy) {
  const std::string h = hash_password("pw");
  EXPECT_EQ(h.rfind("pbkdf2-sha384$" + std::to_string(kPbkdf2Iterations) + "$", 0), 0u);
  EXPECT_TRUE(verify_password("pw", h));
  EXPECT_FALSE(needs_rehash(h));
  EXPECT_TRUE(needs_rehash(hash_password("pw", 1000)));
  EXPECT_TRUE(needs_rehash("garbage"));
}

TEST(Password, MalformedStoredValuesNeverMatch) {
  const std::string good = hash_password("pw", 10);
  for (const std::string& bad :
       {std::string(""), std::string("pbkdf2-sha384"), std::string("pbkdf2-sha384$10$$"), std::string("md5$10$a$b"),
        std::string("pbkdf2-sha384$0$AAAA$AAAA"), std::string("pbkdf2-sha384$99999999999$AAAA$AAAA"),
        std::string("pbkdf2-sha384$10$!!!!$AAAA"), good.substr(0, good.size() - 4),
        std::string("pbkdf2-sha384$1x$AAAA$AAAA")}) {
    EXPECT_FALSE(verify_password("pw", bad)) << bad;
  }
}

TEST(Password, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
