// A device on the LAN ("Add local device"), reached the way a CIRA device is, with TCP: each
// "channel" is a TCP connection from the server to the device's port (16992 WS-Management, 16994
// redirection; with TLS 16993 and 16995). It implements CiraLink, so the AMT manager and the
// relays do not care how the device is reached. Flow control: the next read waits until the user
// has consumed what the previous one gave (a slow browser stalls the device's TCP window, never
// the server's memory).
//
// TLS (intelamt.tls 1, as Intel AMT configured for TLS, which then closes 16992/16994 to the
// network): Intel AMT's certificate is usually self-signed or from an enterprise CA the server
// does not know, so it is pinned instead of checked against a PKI — trust on first use, as SSH.
// The SHA-384 of the certificate the device first presents becomes intelamt.hash; from then on a
// different certificate is refused before any credentials are sent. A MeshCentral record's
// intelamt.hash (the SHA-1 of the certificate, 40 hex digits; SHA-256 is read too) is honoured and
// replaced by the SHA-384 when it matches. MeshCentral itself records the hash but does not check it.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "amt/mps_server.hpp"
#include "net.hpp"

namespace mw::server::amt {

// How a LAN device is reached: its device record's intelamt {host, uuid, tls, hash}.
struct LanTarget {
  std::string host;  // a name or address; empty: not a LAN device
  std::string uuid;
  bool tls = false;
  std::string pin;  // intelamt.hash: SHA-384 (96 hex digits), or SHA-1 (40) / SHA-256 (64) from MeshCentral; empty: not seen yet
};
LanTarget lan_target(const nlohmann::json& node);

// True when `cert_der` is the certificate `pin` names: its SHA-384, SHA-256 or SHA-1 in hex (by the
// pin's length, any case), as MeshCentral's own check reads intelamt.hash.
bool certificate_matches(const std::string& pin, std::span<const unsigned char> cert_der);

// The pin decision for the certificate Intel AMT presented (`sha384` is set to its SHA-384):
// it matches the SHA-384 pin; it is pinned now (`pin` becomes its SHA-384: first use, or a
// MeshCentral SHA-1/SHA-256 pin that matched); or it is refused (another certificate is pinned).
enum class PinVerdict { kMatches, kPinned, kRefused };
PinVerdict check_pin(std::string& pin, std::span<const unsigned char> cert_der, std::string& sha384);

// Asks the kernel to acknowledge what arrives on `s` at once (TCP_QUICKACK), after each read from
// Intel AMT. A device that sends with Nagle's algorithm (amtsim does; an embedded TCP stack may)
// holds its last partial segment until the previous ones are acknowledged, and Linux delays ACKs
// up to 40 ms, so each burst of SOL, KVM or IDE-R data stalled 40 ms. Quick-ACK mode ends by
// itself, hence once per read. Errors are ignored (the socket may be closing).
void quick_ack(tcp::socket& s);

// What a TLS connection learned about the device's certificate (SHA-384 hex): `accepted` with no
// SHA-384 pin yet (first use, or a MeshCentral SHA-1 pin that matched: pin it now), or refused
// because it does not match the pin.
using CertSink = std::function<void(const std::string& nodeid, const std::string& sha384, bool accepted)>;

// The client side of TLS to Intel AMT (LAN connections, network scan probes, TLS inside CIRA
// channels): TLS 1.2 or later (Intel AMT 11 and later), no PKI check — the certificate is pinned
// instead. With allow_legacy_amt_tls(true) (MpsHighSecurity false) also TLS 1.0/1.1.
ssl::context& amt_client_tls();

// Intel AMT before version 11 speaks only TLS 1.0/1.1, with CBC suites and RSA key exchange.
// Off by default; main() turns it on for MpsHighSecurity false, before any connection is made.
void allow_legacy_amt_tls(bool allow);
// Those older protocol versions and suites on `ctx` (OpenSSL security level 0): the MPS's context
// and the legacy client context.
void relax_for_legacy_amt(SSL_CTX* ctx);
// True when a TLS handshake failed on the protocol version (a peer offering only what is not
// accepted, e.g. TLS 1.0 with MpsHighSecurity on).
bool is_protocol_version_error(const beast::error_code& ec);
// The same for an OpenSSL error code (ERR_get_error(), e.g. TlsPipe::error_code()).
bool is_protocol_version_error(unsigned long openssl_error);

// The connection is opened when a channel is.
std::shared_ptr<CiraLink> make_tcp_link(asio::any_io_executor ex, std::string nodeid, LanTarget target, CertSink sink = {});

}  // namespace mw::server::amt
