// HTTP Digest authentication: an RFC 7235 auth-param tokenizer (quoted strings with escapes,
// token68, several challenges in one field), the RFC 7616 response computation with
// mw::util::md5/sha256, the client with its nonce count and the device-side check.
#include "mw/wsman/digest.hpp"

#include <algorithm>
#include <cstring>

#include "mw/util/hex.hpp"
#include "mw/util/md5.hpp"
#include "mw/util/sha256.hpp"
#include "text.hpp"

namespace mw::wsman {
namespace {

using text::iequals;

constexpr std::size_t kMaxFieldLength = 16 * 1024;
constexpr std::size_t kMaxParams = 64;
constexpr std::size_t kMaxChallenges = 16;

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token68_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '+' || c == '/';
}

Error syntax(std::string what) { return make_error("auth-syntax", std::move(what)); }

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s) : s_(s) {}
  bool end() const { return i_ >= s_.size(); }
  char peek() const { return end() ? '\0' : s_[i_]; }
  void skip_ows() {
    while (!end() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void skip_ows_and_commas() {
    while (!end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  std::string_view token() {
    const std::size_t start = i_;
    while (!end() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // At a name BWS "=" BWS value (and not a token68's trailing '=' padding)?
  bool at_param() const {
    std::size_t j = i_;
    while (j < s_.size() && is_tchar(s_[j])) ++j;
    if (j == i_) return false;
    while (j < s_.size() && (s_[j] == ' ' || s_[j] == '\t')) ++j;
    if (j >= s_.size() || s_[j] != '=') return false;
    ++j;
    while (j < s_.size() && (s_[j] == ' ' || s_[j] == '\t')) ++j;
    return j < s_.size() && s_[j] != '=' && s_[j] != ',';
  }
  std::optional<Error> param(AuthParam& out) {
    out.name = std::string(token());
    skip_ows();
    ++i_;  // '=' (checked by at_param)
    skip_ows();
    if (peek() == '"') return quoted(out.value);
    const std::string_view v = token();
    if (v.empty()) return syntax("parameter '" + out.name.substr(0, 40) + "' has no value");
    out.value = std::string(v);
    return std::nullopt;
  }
  std::string_view token68() {
    const std::size_t start = i_;
    while (!end() && is_token68_char(s_[i_])) ++i_;
    while (!end() && s_[i_] == '=') ++i_;
    return s_.substr(start, i_ - start);
  }

 private:
  std::optional<Error> quoted(std::string& out) {
    ++i_;  // opening quote
    while (!end()) {
      char c = s_[i_++];
      if (c == '"') return std::nullopt;
      if (c == '\\') {
        if (end()) break;
        c = s_[i_++];
      }
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F)
        return syntax("control character in a quoted string");
      out.push_back(c);
    }
    return syntax("unterminated quoted string");
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

std::string hash_hex(DigestAlgorithm a, std::string_view s) {
  if (a == DigestAlgorithm::kSha256 || a == DigestAlgorithm::kSha256Sess)
    return mw::util::hex_encode(mw::util::sha256(s));
  return mw::util::hex_encode(mw::util::md5(s));
}

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  std::size_t n = 0;
  for (std::string_view p : parts) n += p.size() + 1;
  out.reserve(n);
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) out.push_back(':');
    out.append(p);
    first = false;
  }
  return out;
}

std::string compute(DigestAlgorithm a, std::string_view username, std::string_view realm, std::string_view password,
                    std::string_view nonce, std::string_view cnonce, std::string_view nc, std::string_view qop,
                    std::string_view method, std::string_view uri, std::string_view body) {
  std::string ha1 = hash_hex(a, join({username, realm, password}));
  if (a == DigestAlgorithm::kMd5Sess || a == DigestAlgorithm::kSha256Sess)
    ha1 = hash_hex(a, join({ha1, nonce, cnonce}));
  const std::string ha2 = qop == "auth-int" ? hash_hex(a, join({method, uri, hash_hex(a, body)}))
                                            : hash_hex(a, join({method, uri}));
  if (qop.empty()) return hash_hex(a, join({ha1, nonce, ha2}));
  return hash_hex(a, join({ha1, nonce, nc, cnonce, qop, ha2}));
}

bool header_safe(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7F;
  });
}

void append_quoted(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append("=\"");
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned>(static_cast<unsigned char>(text::lower(a[i])) ^ static_cast<unsigned char>(b[i]));
  return diff == 0;
}

int strength(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::kSha256:
    case DigestAlgorithm::kSha256Sess: return 2;
    case DigestAlgorithm::kMd5:
    case DigestAlgorithm::kMd5Sess: return 1;
    case DigestAlgorithm::kUnsupported: return 0;
  }
  return 0;
}

}  // namespace

// [SECTION] Challenges

const AuthParam* AuthChallenge::param(std::string_view name) const {
  for (const AuthParam& p : params)
    if (iequals(p.name, name)) return &p;
  return nullptr;
}

Result<std::vector<AuthChallenge>> parse_auth_challenges(std::string_view field) {
  if (field.size() > kMaxFieldLength) return make_error("auth-too-long", "authentication field too long");
  std::vector<AuthChallenge> out;
  Tokenizer t(field);
  while (true) {
    t.skip_ows_and_commas();
    if (t.end()) break;
    if (out.size() >= kMaxChallenges) return make_error("auth-too-long", "too many challenges");
    AuthChallenge ch;
    ch.scheme = std::string(t.token());
    if (ch.scheme.empty()) return syntax("expected an authentication scheme");
    if (!t.end() && t.peek() != ',') {
      if (t.peek() != ' ' && t.peek() != '\t') return syntax("expected a space after the scheme");
      t.skip_ows();
    }
    if (t.at_param()) {
      while (true) {
        if (ch.params.size() >= kMaxParams) return make_error("auth-too-long", "too many parameters");
        AuthParam p;
        if (auto err = t.param(p)) return *err;
        if (ch.param(p.name)) return syntax("parameter '" + p.name.substr(0, 40) + "' appears twice");
        ch.params.push_back(std::move(p));
        t.skip_ows();
        if (t.end()) break;
        if (t.peek() != ',') return syntax("expected ',' between parameters");
        t.skip_ows_and_commas();
        if (!t.at_param()) break;  // the next challenge, or the end
      }
    } else if (!t.end() && t.peek() != ',') {
      ch.token68 = std::string(t.token68());
      if (ch.token68.empty()) return syntax("unexpected character after the scheme");
      t.skip_ows();
      if (!t.end() && t.peek() != ',') return syntax("unexpected text after token68");
    }
    out.push_back(std::move(ch));
  }
  return out;
}

std::string_view digest_algorithm_name(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::kMd5: return "MD5";
    case DigestAlgorithm::kMd5Sess: return "MD5-sess";
    case DigestAlgorithm::kSha256: return "SHA-256";
    case DigestAlgorithm::kSha256Sess: return "SHA-256-sess";
    case DigestAlgorithm::kUnsupported: return "unsupported";
  }
  return "unsupported";
}

DigestAlgorithm parse_digest_algorithm(std::string_view name) {
  for (DigestAlgorithm a : {DigestAlgorithm::kMd5, DigestAlgorithm::kMd5Sess, DigestAlgorithm::kSha256,
                            DigestAlgorithm::kSha256Sess})
    if (iequals(name, digest_algorithm_name(a))) return a;
  return DigestAlgorithm::kUnsupported;
}

Result<DigestChallenge> parse_digest_challenge(std::string_view field) {
  auto all = parse_auth_challenges(field);
  if (!all) return all.error();
  std::optional<DigestChallenge> best;
  std::optional<Error> problem;
  for (const AuthChallenge& ch : *all) {
    if (!iequals(ch.scheme, "Digest")) continue;
    DigestChallenge d;
    const AuthParam* realm = ch.param("realm");
    const AuthParam* nonce = ch.param("nonce");
    if (!realm || !nonce) {
      if (!problem) problem = make_error("digest-missing-field", "Digest challenge without realm or nonce");
      continue;
    }
    d.realm = realm->value;
    d.nonce = nonce->value;
    if (const AuthParam* p = ch.param("opaque")) d.opaque = p->value;
    if (const AuthParam* p = ch.param("domain")) d.domain = p->value;
    if (const AuthParam* p = ch.param("charset")) d.charset = p->value;
    if (const AuthParam* p = ch.param("stale")) d.stale = iequals(text::trim(p->value), "true");
    if (const AuthParam* p = ch.param("userhash")) d.userhash = iequals(text::trim(p->value), "true");
    if (const AuthParam* p = ch.param("qop")) {
      std::string_view list = p->value;
      while (true) {
        const auto comma = list.find(',');
        const std::string_view item = text::trim(list.substr(0, comma));
        if (!item.empty()) d.qop.emplace_back(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
    if (const AuthParam* p = ch.param("algorithm")) {
      d.algorithm = parse_digest_algorithm(text::trim(p->value));
      d.algorithm_sent = true;
    }
    if (d.algorithm == DigestAlgorithm::kUnsupported) {
      if (!problem) problem = make_error("digest-unsupported-algorithm", "Digest algorithm not supported");
      continue;
    }
    if (!best || strength(d.algorithm) > strength(best->algorithm)) best = std::move(d);
  }
  if (best) return *best;
  if (problem) return *problem;
  return make_error("digest-none", "no Digest challenge");
}

Result<std::string> format_digest_challenge(const DigestChallenge& c) {
  for (std::string_view v : {std::string_view(c.realm), std::string_view(c.nonce), std::string_view(c.opaque),
                             std::string_view(c.domain)})
    if (!header_safe(v)) return make_error("digest-bad-value", "challenge value cannot be sent in a header");
  std::string out = "Digest ";
  append_quoted(out, "realm", c.realm);
  out.append(", ");
  append_quoted(out, "nonce", c.nonce);
  if (!c.opaque.empty()) {
    out.append(", ");
    append_quoted(out, "opaque", c.opaque);
  }
  if (!c.domain.empty()) {
    out.append(", ");
    append_quoted(out, "domain", c.domain);
  }
  if (c.algorithm_sent) {
    if (c.algorithm == DigestAlgorithm::kUnsupported) return make_error("digest-bad-value", "unsupported algorithm");
    out.append(", algorithm=").append(digest_algorithm_name(c.algorithm));
  }
  // AMT quotes stale; RFC 7616 parsers accept the quoted form.
  out.append(c.stale ? ", stale=\"true\"" : ", stale=\"false\"");
  if (!c.qop.empty()) {
    std::string list;
    for (const std::string& q : c.qop) {
      if (!is_token(q)) return make_error("digest-bad-value", "qop value is not a token");
      if (!list.empty()) list.push_back(',');
      list.append(q);
    }
    out.append(", ");
    append_quoted(out, "qop", list);
  }
  if (c.userhash) out.append(", userhash=true");
  return out;
}

// [SECTION] Credentials

Result<DigestCredentials> parse_digest_credentials(std::string_view field) {
  auto all = parse_auth_challenges(field);
  if (!all) return all.error();
  if (all->size() != 1 || !iequals(all->front().scheme, "Digest"))
    return make_error("digest-none", "Authorization is not one set of Digest credentials");
  const AuthChallenge& ch = all->front();
  DigestCredentials c;
  auto get = [&](std::string_view name, std::string& out) {
    if (const AuthParam* p = ch.param(name)) out = p->value;
  };
  get("username", c.username);
  get("realm", c.realm);
  get("nonce", c.nonce);
  get("uri", c.uri);
  get("response", c.response);
  get("cnonce", c.cnonce);
  get("nc", c.nc);
  get("qop", c.qop);
  get("opaque", c.opaque);
  c.nc = std::string(text::trim(c.nc));
  c.qop = std::string(text::trim(c.qop));
  if (const AuthParam* p = ch.param("algorithm")) {
    c.algorithm = parse_digest_algorithm(text::trim(p->value));
    c.algorithm_sent = true;
  }
  if (const AuthParam* p = ch.param("userhash")) c.userhash = iequals(text::trim(p->value), "true");
  if (!ch.param("username") || !ch.param("realm") || !ch.param("nonce") || !ch.param("uri") || !ch.param("response"))
    return make_error("digest-missing-field", "Digest credentials lack username, realm, nonce, uri or response");
  return c;
}

Result<std::string> format_digest_credentials(const DigestCredentials& c) {
  for (std::string_view v : {std::string_view(c.username), std::string_view(c.realm), std::string_view(c.nonce),
                             std::string_view(c.uri), std::string_view(c.response), std::string_view(c.cnonce),
                             std::string_view(c.opaque)})
    if (!header_safe(v)) return make_error("digest-bad-value", "credential value cannot be sent in a header");
  if ((!c.nc.empty() && !is_token(c.nc)) || (!c.qop.empty() && !is_token(c.qop)))
    return make_error("digest-bad-value", "nc and qop must be tokens");
  std::string out = "Digest ";
  append_quoted(out, "username", c.username);
  out.append(", ");
  append_quoted(out, "realm", c.realm);
  out.append(", ");
  append_quoted(out, "uri", c.uri);
  if (c.algorithm_sent) {
    if (c.algorithm == DigestAlgorithm::kUnsupported) return make_error("digest-bad-value", "unsupported algorithm");
    out.append(", algorithm=").append(digest_algorithm_name(c.algorithm));
  }
  out.append(", ");
  append_quoted(out, "nonce", c.nonce);
  if (!c.nc.empty()) out.append(", nc=").append(c.nc);
  if (!c.cnonce.empty()) {
    out.append(", ");
    append_quoted(out, "cnonce", c.cnonce);
  }
  if (!c.qop.empty()) out.append(", qop=").append(c.qop);
  out.append(", ");
  append_quoted(out, "response", c.response);
  if (!c.opaque.empty()) {
    out.append(", ");
    append_quoted(out, "opaque", c.opaque);
  }
  if (c.userhash) out.append(", userhash=true");
  return out;
}

std::string digest_response(const DigestCredentials& c, std::string_view password, std::string_view method,
                            std::string_view body) {
  return compute(c.algorithm, c.username, c.realm, password, c.nonce, c.cnonce, c.nc, c.qop, method, c.uri, body);
}

std::string digest_userhash(DigestAlgorithm algorithm, std::string_view username, std::string_view realm) {
  return hash_hex(algorithm, join({username, realm}));
}

// [SECTION] Client

DigestClient::DigestClient(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

std::optional<Error> DigestClient::on_challenge(std::string_view www_authenticate) {
  auto c = parse_digest_challenge(www_authenticate);
  if (!c) return c.error();
  if (!pinned_realm_.empty() && c->realm != pinned_realm_)
    return make_error("digest-realm-mismatch", "the device's realm is not the pinned one");
  set_challenge(std::move(*c));
  return std::nullopt;
}

void DigestClient::set_challenge(DigestChallenge challenge) {
  if (!challenge_ || challenge_->nonce != challenge.nonce) nc_ = 0;
  challenge_ = std::move(challenge);
}

Result<std::string> DigestClient::authorization(std::string_view method, std::string_view uri,
                                                std::string_view cnonce, std::string_view body) {
  if (!challenge_) return make_error("digest-no-challenge", "no Digest challenge received yet");
  const DigestChallenge& ch = *challenge_;
  std::string qop;
  if (!ch.qop.empty()) {
    const auto offered = [&](std::string_view q) {
      return std::any_of(ch.qop.begin(), ch.qop.end(), [&](const std::string& x) { return iequals(x, q); });
    };
    if (offered("auth"))
      qop = "auth";
    else if (offered("auth-int"))
      qop = "auth-int";
    else
      return make_error("digest-unsupported-qop", "the challenge offers no qop this client supports");
  }
  const bool sess = ch.algorithm == DigestAlgorithm::kMd5Sess || ch.algorithm == DigestAlgorithm::kSha256Sess;
  if ((sess || !qop.empty()) && cnonce.empty()) return make_error("digest-missing-cnonce", "a cnonce is required");
  if (nc_ == 0xFFFFFFFFu) return make_error("digest-nonce-count", "nonce count exhausted; a new nonce is needed");
  ++nc_;

  DigestCredentials c;
  c.username = ch.userhash ? digest_userhash(ch.algorithm, username_, ch.realm) : username_;
  c.userhash = ch.userhash;
  c.realm = ch.realm;
  c.nonce = ch.nonce;
  c.uri = std::string(uri);
  c.opaque = ch.opaque;
  c.algorithm = ch.algorithm;
  c.algorithm_sent = ch.algorithm_sent;
  c.qop = qop;
  if (sess || !qop.empty()) c.cnonce = std::string(cnonce);
  if (!qop.empty()) {
    char nc[9];
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) nc[i] = kHex[(nc_ >> (28 - 4 * i)) & 0xF];
    nc[8] = '\0';
    c.nc = nc;
  }
  c.response = compute(ch.algorithm, username_, ch.realm, password_, ch.nonce, c.cnonce, c.nc, qop, method, uri, body);
  return format_digest_credentials(c);
}

// [SECTION] Device

std::string_view digest_verdict_name(DigestVerdict v) {
  switch (v) {
    case DigestVerdict::kOk: return "ok";
    case DigestVerdict::kWrongRealm: return "wrong realm";
    case DigestVerdict::kWrongUser: return "unknown user";
    case DigestVerdict::kStaleNonce: return "stale nonce";
    case DigestVerdict::kWrongOpaque: return "wrong opaque";
    case DigestVerdict::kWrongUri: return "uri does not match the request";
    case DigestVerdict::kMissingField: return "missing field";
    case DigestVerdict::kUnsupported: return "unsupported algorithm or qop";
    case DigestVerdict::kBadResponse: return "wrong response";
  }
  return "unknown";
}

DigestVerdict verify_digest(const DigestCredentials& c, std::string_view username, std::string_view password,
                            const DigestExpectation& e) {
  if (c.algorithm == DigestAlgorithm::kUnsupported) return DigestVerdict::kUnsupported;
  if (c.realm != e.realm) return DigestVerdict::kWrongRealm;
  const bool user_ok = c.userhash
                           ? constant_time_equal(c.username, digest_userhash(c.algorithm, username, c.realm))
                           : c.username == username;
  if (!user_ok) return DigestVerdict::kWrongUser;
  if (c.nonce != e.nonce) return DigestVerdict::kStaleNonce;
  if (!e.opaque.empty() && c.opaque != e.opaque) return DigestVerdict::kWrongOpaque;
  if (c.uri != e.uri) return DigestVerdict::kWrongUri;
  if (!c.qop.empty() && c.qop != "auth" && c.qop != "auth-int") return DigestVerdict::kUnsupported;
  const bool sess = c.algorithm == DigestAlgorithm::kMd5Sess || c.algorithm == DigestAlgorithm::kSha256Sess;
  if (c.response.empty() || ((!c.qop.empty() || sess) && c.cnonce.empty()) || (!c.qop.empty() && c.nc.empty()))
    return DigestVerdict::kMissingField;
  const std::string want =
      compute(c.algorithm, username, c.realm, password, c.nonce, c.cnonce, c.nc, c.qop, e.method, c.uri, e.body);
  return constant_time_equal(c.response, want) ? DigestVerdict::kOk : DigestVerdict::kBadResponse;
}

std::optional<std::uint32_t> nonce_count_value(std::string_view nc) {
  nc = text::trim(nc);
  if (nc.empty() || nc.size() > 8) return std::nullopt;
  std::uint32_t v = 0;
  if (!text::parse_unsigned(nc, v, 16)) return std::nullopt;
  return v;
}

}  // namespace mw::wsman
