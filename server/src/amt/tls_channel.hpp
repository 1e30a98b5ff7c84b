// TLS inside one APF channel. Intel AMT configured for TLS registers 16993 and 16995 on its CIRA
// connection instead of 16992 and 16994 (docs/protocols/apf.md §6, as MeshCentral: the plain
// ports when registered, else the TLS ones). The MPS then opens the channel to the TLS port and is
// the TLS client inside it; the channel's user (WS-Management, a SOL/KVM/IDE-R relay) sees
// plaintext exactly as on 16992/16994.
//
// The certificate is pinned as for a LAN device (tcp_link.hpp): the SHA-384 of the first one seen
// becomes intelamt.hash; a different one is refused before any credentials are sent.
//
// Flow control: ciphertext is credited to the device's window only once decrypted, and
// decryption stops while the user holds kMaxUnconsumed bytes it has not consumed; so the device's
// window bounds the ciphertext held here, and the user's pace the plaintext.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "amt/mps_server.hpp"
#include "mw/native/tls_pipe.hpp"

namespace mw::server::amt {

class TlsChannel : public ChannelUser {
 public:
  static constexpr std::size_t kMaxUnconsumed = 64 * 1024;

  // The channel underneath: the connection's own calls, made on its strand.
  struct Raw {
    std::function<void(std::uint32_t channel, std::vector<std::uint8_t> bytes)> send;
    std::function<void(std::uint32_t channel, std::size_t bytes)> consume;
    std::function<void(std::uint32_t channel)> close;
  };
  // The certificate seen (its SHA-384), and whether it was accepted: pinned now (first use), or
  // refused (another one is pinned). Not called when it matches the pin.
  using Seen = std::function<void(const std::string& sha384, bool accepted)>;

  TlsChannel(std::shared_ptr<ChannelUser> user, Raw raw, std::string pin, Seen seen, std::string what);

  // ChannelUser: the raw channel (ciphertext).
  void on_open(bool ok, std::uint32_t channel) override;
  void on_data(std::span<const std::uint8_t> data) override;
  void on_drained() override;
  void on_closed() override;

  // The user's calls on the channel (plaintext), routed here by the connection.
  void send(std::span<const std::uint8_t> plaintext);
  void consume(std::size_t bytes);
  void close();

 private:
  void flush();
  void deliver();
  void credit();
  void handshake_done();
  void fail(const std::string& why);
  void tell_closed();

  std::shared_ptr<ChannelUser> user_;
  Raw raw_;
  std::string pin_;
  Seen seen_;
  std::string what_;  // for the log: "<nodeid> port 16993"
  mw::native::TlsPipe pipe_;
  std::uint32_t channel_ = 0;
  std::size_t fed_ = 0, credited_ = 0, unconsumed_ = 0;
  bool raw_open_ = false, opened_ = false, closed_ = false, told_ = false, delivering_ = false, again_ = false;
};

}  // namespace mw::server::amt
