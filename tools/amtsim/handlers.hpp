// What a simulated device does with the bytes of one connection to one of its ports, whether the
// connection is TCP (LAN mode) or an APF channel the MPS opened (CIRA mode). Sans-I/O.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <memory>

#include "console.hpp"
#include "ider.hpp"
#include "kvm.hpp"
#include "mw/redir/session.hpp"
#include "mw/wsman/http.hpp"
#include "wsman_device.hpp"

namespace mw::amtsim {

using Bytes = std::vector<std::uint8_t>;

// The redirection port (16994): shared/redir's DeviceSession in front of the serial console (SOL),
// the KVM's RFB server (kvm.hpp) and the IDE-R drives (ider.hpp); RFB and IDE-R bytes travel as
// the session's raw data.
class RedirHandler {
 public:
  // SOL sessions opened and closed go to `audit`'s security audit log (Redirection Manager).
  RedirHandler(const redir::DeviceConfig& config, const ConsoleInfo& info, const PowerState& power, WsmanDevice& audit);
  ~RedirHandler();

  Bytes feed(std::span<const std::uint8_t> bytes);
  Bytes tick(std::uint64_t now_ms);  // SOL heartbeats; the KVM's clock and screen updates
  Bytes end_of_stream();
  // The session ended, or the KVM viewer broke the RFB protocol: close after the last bytes.
  bool finished() const { return session_.finished() || kvm_failed_ || (ider_ && ider_->finished()); }
  const Kvm* kvm() const { return kvm_.get(); }

 private:
  Bytes handle(redir::Output out);
  void kvm_send(Bytes& out, RfbOutput rfb);
  void ider_send(Bytes& out, const Bytes& bytes);

  void sol_closed();
  void kvm_closed();
  void sol(Bytes& out, const std::string& text);

  redir::DeviceSession session_;
  ConsoleInfo info_;
  const PowerState& power_;
  Console console_;
  std::unique_ptr<Kvm> kvm_;  // a KVM session runs (made at its start: its screen is 6 MB)
  std::unique_ptr<IderDrives> ider_;  // an IDE-R session runs
  bool kvm_failed_ = false;
  WsmanDevice& audit_;
  std::string user_;         // who authenticated
  bool sol_open_ = false;    // a SOL session was audited as opened and not yet as closed
  // SOL started: the console's first output goes out on the next tick, never in the same write
  // as the StartSol reply (amtterm takes everything it reads with that reply as the reply).
  bool attach_pending_ = false;
  // The device's boots when the console last attached: a power-on or reset while SOL runs shows
  // the new boot (BIOS, setup, PXE or the OS) at once, as a real serial console would.
  std::uint64_t boots_seen_ = 0;
};

// The WS-Management port (16992): HTTP/1.1 requests answered by the device's WsmanDevice.
class WsmanHandler {
 public:
  explicit WsmanHandler(WsmanDevice& device) : device_(device), parser_(wsman::HttpRole::kRequest) {}

  // Responses to the requests completed by these bytes; `close` is set when the connection is to
  // end after them (Connection: close, or a malformed request answered with 400).
  Bytes feed(std::span<const std::uint8_t> bytes, bool& close);

 private:
  WsmanDevice& device_;
  wsman::HttpParser parser_;
};

}  // namespace mw::amtsim
