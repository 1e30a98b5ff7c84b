#include "handlers.hpp"

#include <iostream>

namespace mw::amtsim {

RedirHandler::RedirHandler(const redir::DeviceConfig& config, const ConsoleInfo& info, const PowerState& power,
                           WsmanDevice& audit)
    : session_(config), info_(info), power_(power), console_(info, power), audit_(audit) {}

RedirHandler::~RedirHandler() {
  sol_closed();
  kvm_closed();
  ider_.reset();
}

// What the KVM viewer sent, on amtsim's output when its session ends (tests read it: a "view
// only" viewer's input must never arrive).
void RedirHandler::kvm_closed() {
  if (!kvm_) return;
  const auto& s = kvm_->rfb().stats();
  std::cout << "kvm " << info_.index << " ended: keys " << s.key_events << ", pointer " << s.pointer_events << ", cut texts "
            << s.cut_texts << std::endl;
  kvm_.reset();
}

// Audit events of the Redirection Manager (18): 4 SoL session opened, 5 closed.
void RedirHandler::sol_closed() {
  if (!sol_open_) return;
  sol_open_ = false;
  audit_.audit(18, 5, user_);
}

Bytes RedirHandler::feed(std::span<const std::uint8_t> bytes) { return handle(session_.feed(bytes)); }
Bytes RedirHandler::tick(std::uint64_t now_ms) {
  Bytes out = handle(session_.tick(now_ms));
  if (kvm_ && !kvm_failed_) kvm_send(out, kvm_->tick(now_ms));
  if (ider_) ider_send(out, ider_->tick(now_ms));
  const bool rebooted = sol_open_ && audit_.boots() != boots_seen_ && power_ == PowerState::kOn;
  // A boot with IDE-R drives shown waits for the firmware's probe of them (another session).
  if ((attach_pending_ || rebooted) && session_.state() == redir::DeviceState::kRunning && !audit_.ider_probe_pending()) {
    attach_pending_ = false;
    boots_seen_ = audit_.boots();
    console_.set_firmware_boot(audit_.firmware_boot());
    console_.set_ider_lines(audit_.ider_boot_lines());
    sol(out, console_.attach());
  }
  return out;
}

// Appends the serial console's output, as SOL data messages, to `out`.
void RedirHandler::sol(Bytes& out, const std::string& text) {
  if (text.empty()) return;
  auto o = session_.send_sol_data({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  out.insert(out.end(), o.send.begin(), o.send.end());
}
Bytes RedirHandler::end_of_stream() { return handle(session_.end_of_stream()); }

// Appends the IDE-R drives' bytes to `out` as the session's raw data.
void RedirHandler::ider_send(Bytes& out, const Bytes& bytes) {
  if (bytes.empty()) return;
  auto o = session_.send_raw(bytes);
  out.insert(out.end(), o.send.begin(), o.send.end());
}

// Appends the RFB server's bytes to `out` as the session's raw data; a protocol error ends it.
void RedirHandler::kvm_send(Bytes& out, RfbOutput rfb) {
  if (!rfb.send.empty()) {
    auto o = session_.send_raw(rfb.send);
    out.insert(out.end(), o.send.begin(), o.send.end());
  }
  if (rfb.error) {
    kvm_failed_ = true;
    std::cerr << "amtsim: device " << info_.index << ": KVM session ended: " << rfb.error->message << "\n";
  }
}

Bytes RedirHandler::handle(redir::Output out) {
  Bytes send = std::move(out.send);
  for (auto& e : out.events) {
    if (const auto* auth = std::get_if<redir::Authenticated>(&e)) {
      user_ = auth->username;
    } else if (std::holds_alternative<redir::SolEnded>(e)) {
      sol_closed();
    } else if (std::holds_alternative<redir::Closed>(e)) {
      sol_closed();
      kvm_closed();
      ider_.reset();
    } else if (const auto* ready = std::get_if<redir::Ready>(&e)) {
      if (ready->type == redir::SessionType::kSol) {
        attach_pending_ = true;
        sol_open_ = true;
        audit_.audit(18, 4, user_);
      } else if (ready->type == redir::SessionType::kKvm) {
        // RFB starts right after the KvmStart reply: the server speaks first.
        kvm_ = std::make_unique<Kvm>(info_, power_);
        kvm_send(send, kvm_->start());
      } else if (ready->type == redir::SessionType::kIder) {
        ider_ = std::make_unique<IderDrives>(info_.index, audit_, user_);
      }
    } else if (const auto* raw = std::get_if<redir::RawData>(&e)) {
      if (kvm_ && !kvm_failed_) kvm_send(send, kvm_->feed(raw->data));
      if (ider_) ider_send(send, ider_->feed(raw->data));
    } else if (const auto* typed = std::get_if<redir::SolData>(&e)) {
      console_.set_firmware_boot(audit_.firmware_boot());
      sol(send, console_.input(typed->data));
    } else if (const auto* failed = std::get_if<redir::Failed>(&e)) {
      std::cerr << "amtsim: redirection session ended: " << failed->error.message << "\n";
    }
  }
  return send;
}

Bytes WsmanHandler::feed(std::span<const std::uint8_t> bytes, bool& close) {
  std::vector<wsman::HttpMessage> requests;
  auto r = parser_.feed(bytes, requests);
  std::string out;
  for (const auto& q : requests) {
    out += device_.handle(q);
    if (!q.keep_alive()) close = true;
  }
  if (!r) {
    out += "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    close = true;
  }
  return Bytes(out.begin(), out.end());
}

}  // namespace mw::amtsim
