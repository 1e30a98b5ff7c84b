// LAN discovery packets (lan_discovery.hpp).
#include "mw/native/lan_discovery.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace mw::native::discovery {

namespace {

constexpr std::string_view kPrefix = "MeshCentral2|";

bool hex96(std::string_view s) {
  return s.size() == 96 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7F; });
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

std::string format(const Answer& a) {
  std::string out = std::string(kPrefix) + upper(a.server_id) + "|" + a.url;
  if (!a.name.empty() || !a.info.empty()) out += "|" + a.name + "|" + a.info;
  return out;
}

std::optional<Answer> parse(std::string_view packet) {
  if (packet.size() > kMaxPacket || packet.substr(0, kPrefix.size()) != kPrefix || !printable(packet)) return std::nullopt;
  const auto fields = split(packet.substr(kPrefix.size()), '|');
  if (fields.size() != 2 && fields.size() != 4) return std::nullopt;
  if (!hex96(fields[0])) return std::nullopt;
  const std::string_view url = fields[1];
  if (url.substr(0, 6) != "wss://" || url.size() < 8 || url.find(' ') != std::string_view::npos) return std::nullopt;
  Answer a{upper(fields[0]), std::string(url), "", ""};
  if (fields.size() == 4) {
    a.name = fields[2];
    a.info = fields[3];
  }
  return a;
}

std::string url_for(const Answer& a, const std::string& address) {
  const auto at = a.url.find("%s");
  if (at == std::string::npos) return a.url;
  const bool bracketed = at > 0 && a.url[at - 1] == '[';
  const std::string host = address.find(':') != std::string::npos && !bracketed ? "[" + address + "]" : address;
  return a.url.substr(0, at) + host + a.url.substr(at + 2);
}

std::string probe(std::string_view server_id) { return upper(server_id); }

bool is_probe_for(std::string_view packet, std::string_view server_id) {
  return hex96(packet) && upper(packet) == upper(server_id);
}

Cipher::Cipher(std::string_view key) {
  if (key.empty()) return;
  unsigned char digest[SHA384_DIGEST_LENGTH];
  SHA384(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  std::copy(digest, digest + 32, key_);
  enabled_ = true;
}

std::string Cipher::seal(std::string_view plain) const {
  if (!enabled_) return std::string(plain);
  unsigned char iv[16];
  if (RAND_bytes(iv, sizeof iv) != 1) return {};
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(sizeof iv + plain.size() + 16, '\0');
  std::copy(iv, iv + sizeof iv, reinterpret_cast<unsigned char*>(out.data()));
  int n = 0, tail = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data()) + sizeof iv;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key_, iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), dst, &n, reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), dst + n, &tail) != 1) {
    return {};
  }
  out.resize(sizeof iv + static_cast<std::size_t>(n + tail));
  return out;
}

std::optional<std::string> Cipher::open(std::string_view packet) const {
  if (!enabled_) return std::string(packet);
  if (packet.size() < 32 || packet.size() > kMaxPacket + 32 || (packet.size() - 16) % 16 != 0) return std::nullopt;
  const auto* iv = reinterpret_cast<const unsigned char*>(packet.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(packet.size(), '\0');
  int n = 0, tail = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key_, iv) != 1 ||
      EVP_DecryptUpdate(ctx.get(), dst, &n, iv + 16, static_cast<int>(packet.size() - 16)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), dst + n, &tail) != 1) {
    return std::nullopt;  // wrong key or not ours: the padding does not check
  }
  out.resize(static_cast<std::size_t>(n + tail));
  return out;
}

std::vector<std::string> ipv4_addresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
    char text[INET_ADDRSTRLEN];
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if (::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text)) out.emplace_back(text);
  }
  ::freeifaddrs(list);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<unsigned> ipv6_interfaces() {
  std::vector<unsigned> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || !(i->ifa_flags & IFF_UP)) continue;
    if (const unsigned index = ::if_nametoindex(i->ifa_name); index != 0) out.push_back(index);
  }
  ::freeifaddrs(list);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace mw::native::discovery
