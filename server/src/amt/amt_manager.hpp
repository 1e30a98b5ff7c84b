// Intel AMT management over WS-Management: when a CIRA device has registered its ports (or its
// credentials were just set, or it was added on the LAN), the manager opens a channel to its port
// 16992 (through the CIRA connection, or by TCP to a LAN device's intelamt.host), logs in with the
// device's sealed credentials (Digest, done by the server: they never reach a browser) and reads
// AMT_GeneralSettings (host name, realm), CIM_SoftwareIdentity (firmware version) and the power
// state; the device record, the live presence and the power timeline are updated and events go
// out. Power actions from the control channel ("poweraction") are RequestPowerStateChange calls,
// recorded as events with the user who asked, followed by a fresh read of the power state.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <set>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "accounts/actions.hpp"
#include "amt/credentials.hpp"
#include "amt/mps_server.hpp"
#include "amt/tcp_link.hpp"
#include "mw/wsman/amt.hpp"
#include "server_context.hpp"

namespace mw::server::amt {

struct Op;  // one step of a WS-Management script (amt_manager.cpp)

// MeshCentral's "pwr" value of an AMT power state (CIM PowerState): 1 on, 2/4 sleep, 5 hibernate,
// 6 soft-off, 0 unknown.
int meshcentral_power(wsman::PowerState state);
// What a person reads for a RequestPowerStateChange value ("Power off", "Reset", ...).
std::string power_action_name(int power_state);

class AmtManager {
 public:
  // `mps` is null when the MPS is off (LAN mode): devices are then reached by TCP only.
  AmtManager(asio::io_context& ioc, ServerContext& ctx, MpsServer* mps);

  // The answer to a read ("amtinfo"), for the session that asked.
  using Reply = std::function<void(nlohmann::json)>;

  // A CIRA device registered its WS-Management port.
  void device_ready(std::shared_ptr<CiraLink> link);
  // Work asked for by a control action (already checked against the caller's rights). Reads
  // (AmtJob::Kind::kRead) answer through `reply`, also when they fail.
  void run(const accounts::AmtJob& job, Reply reply = {}, bool may_forward = true);
  // With peering (peers/peering.hpp): hands a job for a device whose CIRA connection is on
  // another server to that server; true when it took the job. Set once at start.
  void set_forwarder(std::function<bool(const accounts::AmtJob&, Reply&)> f) { forwarder_ = std::move(f); }
  // {"action":"amtinfo","nodeid","what","result"} for a read that could not be done.
  static nlohmann::json read_answer(const accounts::AmtJob& job, const std::string& result);
  // Logs read at most this many records (the newest are kept).
  static constexpr std::size_t kMaxLogRecords = 2000;

  // Where LAN connections report the TLS certificate they met (pinned or refused).
  CertSink cert_sink();

  // Checks the Intel AMT computers added on the LAN (intelamt.host; not those connected by CIRA)
  // every `interval`, the first time a second after the call: a power-state read over TCP (one
  // WS-Management enumeration, Digest). One that answers is present on the LAN (conn 4) with its
  // power state; one that cannot be reached goes offline. At most kMaxPolls at once; a check still
  // running when the next round comes is not started again. MeshCentral pings LAN computers every
  // 30 s and reads their power every 290 s; here one read does both. Call once, on the I/O context.
  void start_lan_polling(std::chrono::seconds interval);
  static constexpr std::size_t kMaxPolls = 8;

  struct Counters {
    std::atomic<std::uint64_t> inventories{0}, power_actions{0}, failures{0};
  };
  const Counters& counters() const { return counters_; }

 private:
  // `lan`: reached by TCP (tcp_link.hpp); a read marks it present on the LAN (conn 4), a failed
  // connection clears that.
  void inventory(std::shared_ptr<CiraLink> link, const std::string& nodeid, bool lan);
  void power(std::shared_ptr<CiraLink> link, const accounts::AmtJob& job, bool lan);
  // Hardware inventory, event log or audit log, answered as JSON (amtinfo).
  void read(std::shared_ptr<CiraLink> link, const accounts::AmtJob& job, bool lan, Reply reply);
  void lan_presence(const std::string& nodeid, const std::string& meshid, bool present, int pwr);
  // The power state read after an operation: into the LAN presence, or the CIRA device's.
  void report_power(const std::string& nodeid, const std::string& meshid, bool lan, std::optional<wsman::PowerState> state);
  // Runs WS-Management steps on a channel to 16992; `done` once all were answered, else the
  // failure is handled here (logged, wrong credentials flagged, an unreachable LAN device offline).
  // `on_error` also hears of the failure (after it was handled).
  void run_script(std::shared_ptr<CiraLink> link, const AmtCredentials& c, std::deque<Op> ops,
                  const std::string& nodeid, const std::string& what, bool lan, std::function<void()> done,
                  std::function<void(const Error&)> on_error = {});
  void failed(const std::string& nodeid, const std::string& what, const Error& error);
  void certificate_seen(const std::string& nodeid, const std::string& sha384, bool accepted);

  void poll_round();
  void poll_next();                            // on poll_strand_
  void poll_one(const std::string& nodeid);    // on poll_strand_; poll_next() there when over
  void note_lan_device(const std::string& nodeid);  // a device reached by TCP joins the checks

  asio::io_context& ioc_;
  ServerContext& ctx_;
  MpsServer* mps_;
  Counters counters_;
  std::function<bool(const accounts::AmtJob&, Reply&)> forwarder_;
  // LAN polling; its state lives on poll_strand_.
  asio::strand<asio::io_context::executor_type> poll_strand_;
  std::unique_ptr<asio::steady_timer> poll_timer_;
  std::chrono::seconds poll_interval_{30};
  // The LAN devices: found by one scan of the store at the first round, then added as jobs reach
  // devices by TCP; a device whose record is gone or has no intelamt.host any more is dropped
  // when it is next checked. Each round reads only their records, not every device's.
  std::set<std::string> lan_nodes_;
  bool lan_scanned_ = false;
  std::deque<std::string> poll_queue_;
  std::set<std::string> polling_;  // node ids being checked
};

}  // namespace mw::server::amt
