// The MPS (Management Presence Server): Intel AMT computers connect here over TLS (CIRA, APF)
// on MpsPort, log in with the device group's CIRA user name and the server's MPS password, and
// register their ports; the server then opens channels to those ports (WS-Management 16992,
// redirection 16994; with TLS inside the channel to 16993/16995 when Intel AMT is configured for
// TLS and registered only those: tls_channel.hpp) through the connection. MeshCentral's conventions are kept so devices
// provisioned for a MeshCentral server keep connecting after a migration:
//   - user name: the first 16 characters of the device group id's value, '@' and '$' as 'X';
//   - device id of an "Intel AMT only" group: the system UUID's 16 bytes three times, base64;
//   - a browser opening the port over HTTPS gets a short plain-text answer.
// Unlike MeshCentral there is never an "any password" mode: MpsPass, or a password generated on
// first start and stored in the database (mps_password()).
#pragma once

#include "accounts/live_events.hpp"

#include <cstdint>
#include <functional>
#include <atomic>

#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/actions.hpp"
#include "listener.hpp"
#include "mw/apf/messages.hpp"
#include "server_context.hpp"

namespace mw::server::amt {

// Monotonic milliseconds: the clock the sans-I/O sessions (APF, redirection) are ticked with.
std::uint64_t monotonic_ms();

// [SECTION] MeshCentral's CIRA naming

// The CIRA user name of a device group: accounts::cira_username (model.hpp).
// The device id MeshCentral gives an "Intel AMT only" device: "node/<domain>/" + base64 of the
// UUID's 16 bytes three times, '+' and '/' as '@' and '$' — the bytes in the order of the UUID's
// text form ("12345678-9abc-..."), not AMT's wire order (MeshCentral's guidToStr, then hex).
std::string cira_node_id(std::string_view domain, const apf::Uuid& uuid);

// The MPS password: MpsPass when set, else the one stored in the database record "MpsPassword"
// (created with 24 random letters and digits on first start). Errors are the store's.
mw::Result<std::string> mps_password(store::Store& db, const std::string& configured);

// (announce_presence: accounts/live_events.hpp, shared with the agent channel.)
using accounts::announce_presence;

// [SECTION] Admission (runs on the store's thread)

struct CiraAdmission {
  bool ok = false;
  std::string reason;  // why it was refused (for the log; never contains the password)
  std::string nodeid, meshid, domain, name;
  std::vector<accounts::Dispatch> events;  // stored already (addnode); to be pushed live
};

// Finds the device group whose CIRA user name is `username` among the domains' groups, then the
// device: by id in an "Intel AMT only" group (created when new, named after `host`), by
// intelamt.uuid in an agent group (created the same way when unknown).
CiraAdmission admit_cira_device(store::Store& db, const std::vector<std::string>& domains, const std::string& username,
                                const apf::Uuid& uuid, const std::string& host);

// [SECTION] Channels

// The user of one APF channel the server opened (a WS-Management client, a relay). Called on
// the connection's strand.
class ChannelUser {
 public:
  virtual ~ChannelUser() = default;
  // The channel is open (`ok`, with its id for CiraLink's calls) or was refused.
  virtual void on_open(bool ok, std::uint32_t channel) = 0;
  // Bytes from the device; call CiraLink::consume when they are handed on (flow control).
  virtual void on_data(std::span<const std::uint8_t> data) = 0;
  virtual void on_drained() {}
  virtual void on_closed() = 0;
};

// What the rest of the server sees of one connected device.
class CiraLink {
 public:
  virtual ~CiraLink() = default;
  // Opens a channel to a registered AMT port; the user hears on_open(false) when refused.
  // Thread-safe (posts to the connection's strand).
  virtual void open_channel(std::uint32_t port, std::shared_ptr<ChannelUser> user) = 0;
  // The following run on the connection's strand (from a ChannelUser callback) or post there.
  virtual void send(std::uint32_t channel, std::vector<std::uint8_t> data) = 0;
  virtual void consume(std::uint32_t channel, std::size_t bytes) = 0;
  // on_drained() once what was sent on the channel has left (at once when nothing waits): a
  // sender that produces data on demand (IDE-R) sends the next part then.
  virtual void request_drained(std::uint32_t channel) = 0;
  virtual void close_channel(std::uint32_t channel) = 0;
  virtual const std::string& nodeid() const = 0;
  virtual std::string uuid() const = 0;
  // Ends the connection (DISCONNECT, then close). Thread-safe.
  virtual void shutdown() = 0;
};

// [SECTION] Server

class MpsServer {
 public:
  MpsServer(asio::io_context& ioc, ServerContext& ctx);
  ~MpsServer();
  // Binds MpsPort (next free one unless ExactPorts; throws when it cannot), starts accepting.
  void start();
  // Stops accepting and disconnects every device.
  void stop();
  int port() const { return listener_ ? listener_->port() : 0; }

  // The connected device, if any.
  std::shared_ptr<CiraLink> find(const std::string& nodeid) const;
  std::size_t connections() const;

  struct Counters {
    std::atomic<std::uint64_t> accepted{0}, logins_ok{0}, logins_refused{0}, http_probes{0};
  };
  const Counters& counters() const { return counters_; }

  // Called by connections (internal).
  void track(const std::shared_ptr<CiraLink>& link);
  void untrack(const CiraLink* link);
  // Makes `link` the device's connection; returns the one it replaces (to be shut down).
  std::shared_ptr<CiraLink> attach(const std::string& nodeid, const std::shared_ptr<CiraLink>& link);
  bool detach(const std::string& nodeid, const CiraLink* link);  // true when it was the current one
  ServerContext& context() { return ctx_; }
  // Runs one step of an MPS TLS handshake (MpsConnection) on the handshake threads: threads of
  // their own, so the handshakes' short-lived allocations stay out of the I/O threads' malloc
  // arenas. Steps run oldest handshake first (`order`: next_handshake_order() at accept): in a
  // burst of thousands of new connections, the handshakes under way (whose deadline runs) finish
  // before new ones start, instead of waiting behind every new ClientHello.
  void run_handshake_step(std::uint64_t order, std::function<void()> step);
  std::uint64_t next_handshake_order() { return handshake_order_.fetch_add(1, std::memory_order_relaxed); }
  Counters& mutable_counters() { return counters_; }
  // Runs when a device finished logging in and registering its WS-Management port (inventory etc.).
  std::function<void(std::shared_ptr<CiraLink>)> on_device_ready;
  // Hears the certificates of Intel AMT configured for TLS, seen inside CIRA channels (the AMT
  // manager's sink: pins on first use, records a mismatch). (nodeid, sha384, accepted).
  std::function<void(const std::string&, const std::string&, bool)> on_certificate;

 private:
  asio::io_context& ioc_;
  ServerContext& ctx_;
  std::shared_ptr<Listener> listener_;
  std::unique_ptr<ssl::context> tls_;
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<CiraLink>> links_;
  std::map<const CiraLink*, std::weak_ptr<CiraLink>> all_;  // every connection, for stop()
  Counters counters_;
  struct QueuedStep {
    std::uint64_t order;
    std::function<void()> run;
  };
  std::mutex handshake_mu_;
  std::vector<QueuedStep> handshake_queue_;  // a heap: the lowest order on top
  std::atomic<std::uint64_t> handshake_order_{0};
  std::unique_ptr<asio::thread_pool> handshakes_;  // last: joined first when the server goes
};

}  // namespace mw::server::amt
