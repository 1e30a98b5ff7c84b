// TlsRecords (tls_records.hpp). Record formats:
//   TLS 1.3 (RFC 8446 5.2): header 17 03 03 len; AEAD(plaintext || content type || zeros);
//     nonce = IV xor sequence number (left-padded to 12 bytes); additional data = the header.
//   TLS 1.2 AES-GCM (RFC 5288 3): header type 03 03 len; explicit nonce (8) || AEAD(plaintext);
//     nonce = salt (4) || explicit nonce; additional data = seq (8) || type || 03 03 || length.
//   TLS 1.2 ChaCha20-Poly1305 (RFC 7905 2): as TLS 1.3's nonce, TLS 1.2's additional data.
#include "mw/native/tls_records.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

namespace mw::native {

namespace {

constexpr std::uint8_t kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22, kApplicationData = 23;
// Alert descriptions (RFC 8446 6).
constexpr std::uint8_t kCloseNotify = 0, kUnexpectedMessage = 10, kBadRecordMac = 20, kRecordOverflow = 22,
                       kHandshakeFailure = 40, kDecodeError = 50, kInternalError = 80;
constexpr std::size_t kTagLength = 16, kHeader = 5, kMaxPlain = 16384;

const EVP_CIPHER* cipher_of(TlsRecords::Aead a) {
  // Fetched once per process (thread-safe static initialisation), never freed.
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  switch (a) {
    case TlsRecords::Aead::kAes128Gcm: return aes128;
    case TlsRecords::Aead::kAes256Gcm: return aes256;
    case TlsRecords::Aead::kChaCha20Poly1305: return chacha;
  }
  return nullptr;
}

// One AEAD context per thread, keyed for each call: connections hold none.
struct ThreadCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  const EVP_CIPHER* cipher = nullptr;  // what ctx was set up for (a new key alone keeps its state)
  ~ThreadCtx() { EVP_CIPHER_CTX_free(ctx); }
};

EVP_CIPHER_CTX* keyed(TlsRecords::Aead aead, const TlsRecords::Keys& k, bool encrypt) {
  thread_local ThreadCtx t;
  const EVP_CIPHER* c = cipher_of(aead);
  if (!t.ctx || !c) return nullptr;
  const bool same = t.cipher == c;
  t.cipher = nullptr;
  if (EVP_CipherInit_ex2(t.ctx, same ? nullptr : c, k.key.data(), nullptr, encrypt ? 1 : 0, nullptr) != 1) return nullptr;
  t.cipher = c;
  return t.ctx;
}

void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
}

// AES-GCM in TLS 1.2 carries an 8-byte explicit nonce in each record, after a 4-byte salt IV.
bool has_explicit_nonce(const TlsRecords::Params& p) {
  return p.version == TlsRecords::Version::kTls12 && p.aead != TlsRecords::Aead::kChaCha20Poly1305;
}

// TLS 1.2's additional data: seq_num || type || version || length (of the plaintext).
std::array<std::uint8_t, 13> tls12_aad(std::uint64_t seq, std::uint8_t type, std::uint8_t major, std::uint8_t minor, std::size_t n) {
  std::array<std::uint8_t, 13> aad{};
  put_u64(aad.data(), seq);
  aad[8] = type;
  aad[9] = major;
  aad[10] = minor;
  aad[11] = static_cast<std::uint8_t>(n >> 8);
  aad[12] = static_cast<std::uint8_t>(n);
  return aad;
}

// The per-record nonce: IV xor sequence number (TLS 1.3, and ChaCha20 in TLS 1.2), or salt ||
// explicit nonce (AES-GCM in TLS 1.2; `explicit_nonce` then holds its 8 bytes).
std::array<std::uint8_t, 12> nonce_of(const TlsRecords::Params& p, const TlsRecords::Keys& k, const std::uint8_t* explicit_nonce) {
  std::array<std::uint8_t, 12> n{};
  if (has_explicit_nonce(p)) {
    std::copy_n(k.iv.begin(), 4, n.begin());
    std::copy_n(explicit_nonce, 8, n.begin() + 4);
    return n;
  }
  n = k.iv;
  std::uint8_t seq[8];
  put_u64(seq, k.seq);
  for (int i = 0; i < 8; ++i) n[4 + i] ^= seq[i];
  return n;
}

// One AEAD operation on a keyed context. Decrypting, `tag` is checked (constant time, by OpenSSL);
// encrypting, it is written.
bool aead_run(EVP_CIPHER_CTX* ctx, const std::array<std::uint8_t, 12>& nonce, std::span<const std::uint8_t> aad,
              const std::uint8_t* in, std::size_t n, std::uint8_t* out, std::uint8_t* tag, bool encrypt) {
  int len = 0;
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), encrypt ? 1 : 0, nullptr) != 1) return false;
  if (EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) return false;
  if (n > 0 && EVP_CipherUpdate(ctx, out, &len, in, static_cast<int>(n)) != 1) return false;
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagLength, tag) != 1) return false;
  int fin = 0;
  std::uint8_t none[16];  // AEAD finals write nothing; never a null pointer
  if (EVP_CipherFinal_ex(ctx, n > 0 ? out + len : none, &fin) != 1) return false;
  if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagLength, tag) != 1) return false;
  return true;
}

// Runs OpenSSL's key derivation `name` ("HKDF", "TLS1-PRF") with `params` into `out`.
bool kdf_derive(const char* name, const OSSL_PARAM* params, std::uint8_t* out, std::size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, name, nullptr);
  EVP_KDF_CTX* kctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);
  const bool ok = kctx && EVP_KDF_derive(kctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free(kctx);
  return ok;
}

const char* hash_name(std::size_t hash_len) { return hash_len == 48 ? "SHA384" : "SHA256"; }

bool hkdf_expand_label(std::span<const std::uint8_t> secret, std::string_view label, std::uint8_t* out, std::size_t out_len) {
  // HkdfLabel: uint16 length, opaque label<7..255> = "tls13 " + label, opaque context<0..255> = "".
  std::vector<std::uint8_t> info;
  const std::string full = "tls13 " + std::string(label);
  info.push_back(static_cast<std::uint8_t>(out_len >> 8));
  info.push_back(static_cast<std::uint8_t>(out_len));
  info.push_back(static_cast<std::uint8_t>(full.size()));
  info.insert(info.end(), full.begin(), full.end());
  info.push_back(0);
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(hash_name(secret.size())), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  return kdf_derive("HKDF", params, out, out_len);
}

}  // namespace

TlsRecords::TlsRecords(const Params& params) : p_(params) {}

TlsRecords::TlsRecords(TlsHandover&& handover)
    : p_(handover.params), unread_(std::move(handover.unread)), output_(std::move(handover.output)) {}

TlsHandover::~TlsHandover() {
  OPENSSL_cleanse(&params.read, sizeof params.read);
  OPENSSL_cleanse(&params.write, sizeof params.write);
}

TlsRecords::~TlsRecords() {
  OPENSSL_cleanse(&p_.read, sizeof p_.read);
  OPENSSL_cleanse(&p_.write, sizeof p_.write);
}

bool TlsRecords::derive_tls13(Aead aead, std::span<const std::uint8_t> secret, Keys& keys) {
  if (secret.size() != 32 && secret.size() != 48) return false;
  std::copy(secret.begin(), secret.end(), keys.secret.begin());
  keys.seq = 0;
  return hkdf_expand_label(secret, "key", keys.key.data(), key_length(aead)) &&
         hkdf_expand_label(secret, "iv", keys.iv.data(), keys.iv.size());
}

bool TlsRecords::derive_tls12(Aead aead, std::uint8_t hash_len, std::span<const std::uint8_t> master,
                              std::span<const std::uint8_t, 32> server_random, std::span<const std::uint8_t, 32> client_random,
                              Keys& client, Keys& server) {
  const std::size_t key_len = key_length(aead);
  const std::size_t iv_len = aead == Aead::kChaCha20Poly1305 ? 12 : 4;
  std::array<std::uint8_t, 13 + 64> seed{};
  std::memcpy(seed.data(), "key expansion", 13);
  std::copy(server_random.begin(), server_random.end(), seed.begin() + 13);
  std::copy(client_random.begin(), client_random.end(), seed.begin() + 45);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(hash_name(hash_len)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, const_cast<std::uint8_t*>(master.data()), master.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed.data(), seed.size()),
      OSSL_PARAM_construct_end(),
  };
  std::array<std::uint8_t, 2 * 32 + 2 * 12> block{};
  const bool ok = !master.empty() && kdf_derive("TLS1-PRF", params, block.data(), 2 * key_len + 2 * iv_len);
  if (ok) {
    std::memcpy(client.key.data(), block.data(), key_len);
    std::memcpy(server.key.data(), block.data() + key_len, key_len);
    std::memcpy(client.iv.data(), block.data() + 2 * key_len, iv_len);
    std::memcpy(server.iv.data(), block.data() + 2 * key_len + iv_len, iv_len);
    client.seq = server.seq = 1;
  }
  OPENSSL_cleanse(block.data(), block.size());
  return ok;
}

bool TlsRecords::update_secret(Keys& keys) {
  // application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length)
  std::array<std::uint8_t, 48> next{};
  const std::span<const std::uint8_t> current(keys.secret.data(), p_.hash_len);
  if (!hkdf_expand_label(current, "traffic upd", next.data(), p_.hash_len)) return false;
  Keys fresh;
  const bool ok = derive_tls13(p_.aead, std::span<const std::uint8_t>(next.data(), p_.hash_len), fresh);
  OPENSSL_cleanse(next.data(), next.size());
  if (!ok) return false;
  OPENSSL_cleanse(&keys, sizeof keys);
  keys = fresh;  // sequence number 0 (derive_tls13)
  OPENSSL_cleanse(&fresh, sizeof fresh);
  return true;
}

void TlsRecords::fail(std::uint8_t alert, const std::string& why) {
  if (failed_) return;
  // The alert goes out under the current keys (unless sending failed in the first place).
  if (!closed_ && alert != kInternalError) {
    const std::uint8_t body[2] = {2, alert};
    seal_one(kAlert, body, output_);
  }
  failed_ = true;
  closed_ = true;
  error_ = why;
  partial_.clear();
  partial_.shrink_to_fit();
  unread_.clear();
  unread_.shrink_to_fit();
}

// [SECTION] Reading

void TlsRecords::open(std::span<const std::uint8_t> ciphertext, std::vector<std::uint8_t>& plain) {
  if (!unread_.empty()) {
    const std::vector<std::uint8_t> earlier = std::move(unread_);
    unread_.clear();
    input(earlier, plain);
  }
  input(ciphertext, plain);
}

void TlsRecords::input(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& plain) {
  const std::size_t max_record = kHeader + (p_.version == Version::kTls13 ? kMaxPlain + 256 : kMaxPlain + 2048);
  auto record_length = [&](const std::uint8_t* h) -> std::size_t {
    return kHeader + ((std::size_t{h[3]} << 8) | h[4]);
  };
  // Complete the record waiting for its rest first.
  if (!partial_.empty()) {
    while (partial_.size() < kHeader && !data.empty()) {
      partial_.push_back(data.front());
      data = data.subspan(1);
    }
    if (partial_.size() < kHeader) return;
    const std::size_t total = record_length(partial_.data());
    if (total > max_record) return fail(kRecordOverflow, "TLS record too long");
    const std::size_t take = std::min(total - partial_.size(), data.size());
    partial_.insert(partial_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (partial_.size() < total) return;
    const std::vector<std::uint8_t> whole = std::move(partial_);
    partial_ = {};
    record(whole, plain);
  }
  while (!failed_ && !peer_closed_ && data.size() >= kHeader) {
    const std::size_t total = record_length(data.data());
    if (total > max_record) return fail(kRecordOverflow, "TLS record too long");
    if (data.size() < total) break;
    record(data.first(total), plain);
    data = data.subspan(total);
  }
  if (!failed_ && !peer_closed_ && !data.empty()) partial_.assign(data.begin(), data.end());
}

void TlsRecords::record(std::span<const std::uint8_t> rec, std::vector<std::uint8_t>& plain) {
  if (failed_ || peer_closed_) return;
  const std::uint8_t type = rec[0];
  if (rec[1] != 3) return fail(kDecodeError, "not a TLS record");
  auto& k = p_.read;
  if (k.seq == std::numeric_limits<std::uint64_t>::max()) return fail(kInternalError, "TLS sequence number exhausted");
  const bool tls13 = p_.version == Version::kTls13;
  const bool explicit_nonce = has_explicit_nonce(p_);
  const std::size_t overhead = kTagLength + (explicit_nonce ? 8 : 0);
  const std::size_t body = rec.size() - kHeader;
  if (body < overhead + (tls13 ? 1 : 0)) return fail(kBadRecordMac, "TLS record too short");
  if (tls13 ? type != kApplicationData : (type != kApplicationData && type != kAlert && type != kHandshake)) {
    return fail(kUnexpectedMessage, type == kChangeCipherSpec ? "TLS ChangeCipherSpec after the handshake" : "unexpected TLS record type");
  }
  const std::size_t n = body - overhead;
  const std::uint8_t* in = rec.data() + kHeader + (explicit_nonce ? 8 : 0);
  const auto aad12 = tls12_aad(k.seq, type, rec[1], rec[2], n);
  const std::span<const std::uint8_t> aad = tls13 ? rec.first(kHeader) : std::span<const std::uint8_t>(aad12);
  // Decrypted straight into the caller's buffer; taken back unless it is application data.
  const std::size_t at = plain.size();
  plain.resize(at + n);
  std::uint8_t tag[kTagLength];
  std::copy_n(in + n, kTagLength, tag);
  EVP_CIPHER_CTX* ctx = keyed(p_.aead, k, false);
  if (!ctx || !aead_run(ctx, nonce_of(p_, k, rec.data() + kHeader), aad, in, n, plain.data() + at, tag, false)) {
    plain.resize(at);
    return fail(kBadRecordMac, "TLS record failed authentication");
  }
  ++k.seq;
  std::uint8_t inner = type;
  std::size_t len = n;
  if (tls13) {
    // TLSInnerPlaintext: content, content type, zero padding.
    while (len > 0 && plain[at + len - 1] == 0) --len;
    if (len == 0) {
      plain.resize(at);
      return fail(kUnexpectedMessage, "TLS record without a content type");
    }
    inner = plain[at + len - 1];
    --len;
  }
  if (len > kMaxPlain) {
    plain.resize(at);
    return fail(kRecordOverflow, "TLS record too long");
  }
  if (inner == kApplicationData) {
    plain.resize(at + len);
    return;
  }
  const std::vector<std::uint8_t> data(plain.begin() + static_cast<std::ptrdiff_t>(at),
                                       plain.begin() + static_cast<std::ptrdiff_t>(at + len));
  plain.resize(at);
  content(inner, data, plain);
}

void TlsRecords::content(std::uint8_t type, std::span<const std::uint8_t> data, std::vector<std::uint8_t>&) {
  if (type == kAlert) {
    if (data.size() != 2) return fail(kDecodeError, "malformed TLS alert");
    if (data[1] == kCloseNotify) {
      peer_closed_ = true;
      partial_.clear();
      partial_.shrink_to_fit();
      return;
    }
    // TLS 1.2 warnings other than close_notify (user_canceled, no_renegotiation) are ignored;
    // in TLS 1.3 every other alert ends the connection (RFC 8446 6).
    if (data[0] == 1 && p_.version == Version::kTls12) return;
    failed_ = true;  // no alert answers an alert
    closed_ = true;
    error_ = "the peer sent TLS alert " + std::to_string(data[1]);
    return;
  }
  if (type == kHandshake) return handshake_message(data);
  fail(kUnexpectedMessage, "unexpected TLS content type");
}

void TlsRecords::handshake_message(std::span<const std::uint8_t> data) {
  if (p_.version == Version::kTls12) return fail(kHandshakeFailure, "TLS renegotiation refused");
  // Whole messages only (a KeyUpdate is 5 bytes; nothing we accept is split across records).
  while (!data.empty()) {
    if (data.size() < 4) return fail(kUnexpectedMessage, "TLS handshake message split across records");
    const std::size_t len = (std::size_t{data[1]} << 16) | (std::size_t{data[2]} << 8) | data[3];
    if (data.size() < 4 + len) return fail(kUnexpectedMessage, "TLS handshake message split across records");
    const std::uint8_t msg = data[0];
    const auto body = data.subspan(4, len);
    data = data.subspan(4 + len);
    if (msg == 4 && p_.is_client) continue;  // NewSessionTicket: no resumption here
    if (msg != 24) return fail(kUnexpectedMessage, "unexpected TLS handshake message after the handshake");
    // KeyUpdate (RFC 8446 4.6.3): update_not_requested(0) or update_requested(1).
    if (body.size() != 1 || body[0] > 1) return fail(kDecodeError, "malformed TLS KeyUpdate");
    if (body[0] == 1 && !closed_) {
      const std::uint8_t answer[5] = {24, 0, 0, 1, 0};
      seal_one(kHandshake, answer, output_);
      if (!update_secret(p_.write)) return fail(kInternalError, "TLS KeyUpdate: cannot derive keys");
    }
    if (!update_secret(p_.read)) return fail(kInternalError, "TLS KeyUpdate: cannot derive keys");
  }
}

// [SECTION] Writing

void TlsRecords::seal_one(std::uint8_t type, std::span<const std::uint8_t> data, std::vector<std::uint8_t>& out) {
  auto& k = p_.write;
  if (k.seq == std::numeric_limits<std::uint64_t>::max()) {
    closed_ = true;  // no record can be sent any more, not even an alert
    return fail(kInternalError, "TLS sequence number exhausted");
  }
  const bool tls13 = p_.version == Version::kTls13;
  const bool explicit_nonce = has_explicit_nonce(p_);
  const std::size_t n = data.size() + (tls13 ? 1 : 0);  // TLS 1.3: the content type follows the content
  const std::size_t body = n + kTagLength + (explicit_nonce ? 8 : 0);
  const std::size_t at = out.size();
  out.resize(at + kHeader + body);
  std::uint8_t* h = out.data() + at;
  h[0] = tls13 ? kApplicationData : type;
  h[1] = 3;
  h[2] = 3;
  h[3] = static_cast<std::uint8_t>(body >> 8);
  h[4] = static_cast<std::uint8_t>(body);
  std::uint8_t* payload = h + kHeader;
  if (explicit_nonce) {
    put_u64(payload, k.seq);  // the sequence number as explicit nonce: unique per key, as OpenSSL does
    payload += 8;
  }
  std::copy(data.begin(), data.end(), payload);
  if (tls13) payload[data.size()] = type;
  const auto aad12 = tls12_aad(k.seq, type, 3, 3, n);
  const std::span<const std::uint8_t> aad = tls13 ? std::span<const std::uint8_t>(h, kHeader) : std::span<const std::uint8_t>(aad12);
  EVP_CIPHER_CTX* ctx = keyed(p_.aead, k, true);
  if (!ctx || !aead_run(ctx, nonce_of(p_, k, h + kHeader), aad, payload, n, payload, payload + n, true)) {
    out.resize(at);
    closed_ = true;
    return fail(kInternalError, "TLS: cannot encrypt");
  }
  ++k.seq;
}

void TlsRecords::seal(std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) {
  const std::size_t max = std::clamp<std::size_t>(p_.max_fragment, 512, kMaxPlain);
  while (!plaintext.empty() && !closed_) {
    const std::size_t n = std::min(max, plaintext.size());
    seal_one(kApplicationData, plaintext.first(n), out);
    plaintext = plaintext.subspan(n);
  }
}

void TlsRecords::close(std::vector<std::uint8_t>& out) {
  if (closed_) return;
  const std::uint8_t body[2] = {1, kCloseNotify};
  seal_one(kAlert, body, out);
  closed_ = true;
}

std::vector<std::uint8_t> TlsRecords::take_output() { return std::exchange(output_, {}); }

}  // namespace mw::native
