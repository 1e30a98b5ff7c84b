// "Scan network" for Intel AMT computers on the LAN (MeshCentral's scanamtdevice). Every address
// of a range gets one probe: a TCP connection to the WS-Management port 16992 and an
// unauthenticated POST /wsman, which Intel AMT answers with 401 and a Digest challenge whose realm
// is "Digest:<32 hex digits>", naming itself in the Server header ("Intel(R) Active Management
// Technology 16.1.25"). (MeshCentral pings RMCP on UDP 623 instead; that port is privileged, which
// the simulator and the tests cannot bind, and the TCP probe also proves the port a LAN device is
// then managed on.) When the plain port refuses the connection, the same probe goes over TLS to
// the next port (16993): Intel AMT configured for TLS closes 16992 to the network.
//
// Bounded: at most kMaxScanAddresses per scan, kConcurrency probes at once, a new probe at most
// every kPace (250 per second), each probe kProbeTimeout, kMaxScans scans at once per server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "mw/util/result.hpp"

namespace mw::server::amt {

inline constexpr std::uint32_t kMaxScanAddresses = 4096;

struct Ipv4Range {
  std::uint32_t first = 0, last = 0;  // host order, inclusive
  std::size_t size() const { return static_cast<std::size_t>(last - first) + 1; }
};
// "192.168.1.5", "192.168.1.10-192.168.1.40" or "192.168.1.0/24" (prefix 20 to 32). Errors say
// what is wrong; a range of more than kMaxScanAddresses addresses is refused.
mw::Result<Ipv4Range> parse_ipv4_range(std::string_view text);
std::string ipv4_text(std::uint32_t address);

struct ScanHit {
  std::string address;
  std::string version;  // "16.1.25" from the Server header, "" when it does not say
  std::string realm;
  bool tls = false;  // found on the TLS port (16993): the plain one refused
};
// What a probe's answer (the HTTP head) says: an Intel AMT WS-Management port, or not.
std::optional<ScanHit> read_probe_answer(std::string_view address, std::string_view http_head);

class AmtScanner {
 public:
  static constexpr std::size_t kConcurrency = 32;
  static constexpr std::size_t kMaxScans = 4;
  static constexpr std::chrono::milliseconds kPace{4};
  static constexpr std::chrono::milliseconds kProbeTimeout{1500};
  // `port`: the WS-Management port probed (Intel AMT's 16992; unit tests give their own).
  explicit AmtScanner(boost::asio::any_io_executor ex, std::uint16_t port = 16992);
  ~AmtScanner();

  // Probes every address of `range`; `done` gets the hits in address order. False (and nothing
  // runs) when kMaxScans scans already run.
  bool scan(Ipv4Range range, std::function<void(std::vector<ScanHit>)> done);
  std::size_t running() const;

 private:
  struct Scan;
  boost::asio::any_io_executor ex_;
  std::uint16_t port_;
  std::shared_ptr<std::atomic<std::size_t>> running_;  // shared with the scans (they end after this may)
};

}  // namespace mw::server::amt
