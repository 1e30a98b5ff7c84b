// The two ends of a redirection session as sans-I/O state machines. ClientSession is the
// console (the server toward Intel AMT): start, query, digest auth, then SOL, KVM or IDE-R.
// DeviceSession is AMT itself (the amtsim simulator): it answers consoles such as amtterm,
// MeshCommander and ClientSession. Every call returns an Output: bytes to write to the peer, in
// order, and events for the owner. Time is passed in (tick), randomness and MD5 are injected.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mw/redir/auth.hpp"
#include "mw/redir/decoder.hpp"
#include "mw/redir/messages.hpp"
#include "mw/util/result.hpp"

namespace mw::redir {

// [SECTION] Timing

// A periodic deadline driven by the owner's clock: the first call starts it, a clock that goes
// backwards restarts it, and due() is true once per `interval_ms` after that.
struct Interval {
  bool started = false;
  std::uint64_t last_ms = 0;
  bool due(std::uint64_t now_ms, std::uint64_t interval_ms) {
    if (!started || now_ms < last_ms) {
      started = true;
      last_ms = now_ms;
      return false;
    }
    if (now_ms - last_ms < interval_ms) return false;
    last_ms = now_ms;
    return true;
  }
  void reset() { started = false; }
};

// [SECTION] Events

// The session is usable: SOL started, KVM handed over to RFB, or IDE-R authenticated.
// For SOL, `sol` holds the settings (client: as AMT echoed them; device: as the console asked).
struct Ready {
  SessionType type = SessionType::kSol;
  SolSettings sol;
};
struct Authenticated {
  AuthType method = AuthType::kDigest;
  std::string username;
};
// Wrong credentials or a method the other end refuses. The client session is over; the device
// session lets the console try again until DeviceConfig::max_auth_attempts.
struct AuthFailed {
  AuthType method = AuthType::kDigest;
  std::uint8_t status = kAuthFailure;
  std::string username;
};
struct SolData {  // client: from the host's serial port; device: typed by the console
  std::vector<std::uint8_t> data;
};
struct SolControls {  // client: the host changed its modem lines / SOL status
  std::uint8_t control = 0;
  std::uint8_t status = 0;
};
struct SolEnded {};  // device: the console ended SOL (EndSolReply already sent)
struct Closed {};    // the session ended in order
struct Failed {      // protocol error, refused start or broken stream; the session is over
  Error error;
};

using Event = std::variant<Ready, Authenticated, AuthFailed, SolData, SolControls, RawData,
                           RecordingNotice, SolEnded, Closed, Failed>;

struct Output {
  std::vector<std::uint8_t> send;  // write to the peer, in this order
  std::vector<Event> events;
};

// [SECTION] Client (console) side

struct ClientConfig {
  SessionType type = SessionType::kSol;
  std::string username = "admin";
  std::string password;
  std::string uri = std::string(kRedirectionUri);
  // Plaintext user/password (auth type 1) only when AMT offers no digest. Off by default.
  bool allow_user_password = false;
  SolSettings sol_settings;                  // MeshCommander's values by default
  std::uint32_t keepalive_interval_ms = 2000;  // SOL Heartbeat from the console; 0 = none
  std::size_t max_sol_chunk = 1024;            // SOL data per message sent (1..65535)
  Md5Hex md5_hex;                              // required
  TokenSource make_cnonce;                     // required for digest
  Limits limits;
};

enum class ClientState {
  kIdle,
  kStarting,        // sent StartRedirectionSession
  kQuerying,        // sent the auth query
  kChallenging,     // sent the empty digest request, waiting for realm/nonce
  kAuthenticating,  // sent credentials
  kStartingSol,     // sent StartSol
  kStartingKvm,     // sent KvmStart
  kRunning,         // SOL data flows, or raw RFB / IDE-R bytes
  kClosing,         // sent EndSol
  kClosed,
  kFailed,
};

class ClientSession {
 public:
  explicit ClientSession(ClientConfig config);

  Output start();                                  // validates the config, sends 0x10
  Output feed(std::span<const std::uint8_t> bytes);  // bytes from AMT
  Output tick(std::uint64_t now_ms);               // keep-alives while SOL runs
  // kRunning only (ignored otherwise): SOL typed data, split into max_sol_chunk messages.
  Output send_sol_data(std::span<const std::uint8_t> data);
  // kRunning KVM/IDE-R only (ignored otherwise): passes RFB / IDE-R bytes through unchanged.
  Output send_raw(std::span<const std::uint8_t> data);
  Output close();         // SOL: EndSol, then EndRedirectionSession on its reply
  Output end_of_stream();  // the peer closed the connection

  ClientState state() const { return state_; }
  bool finished() const { return state_ == ClientState::kClosed || state_ == ClientState::kFailed; }

 private:
  void on_message(Message& message, Output& out);
  void on_auth_reply(AuthenticateSessionReply& reply, Output& out);
  void send_auth(AuthType type, std::vector<std::uint8_t> data, Output& out);
  void authenticated(AuthType method, Output& out);
  void fail(Output& out, std::string code, std::string message);
  void emit(Output& out, const Message& message);

  ClientConfig config_;
  Decoder decoder_;
  ClientState state_ = ClientState::kIdle;
  AuthType method_ = AuthType::kDigest;
  std::uint32_t sequence_ = 1;
  std::uint32_t nonce_count_ = 0;
  Interval keepalive_;
};

// [SECTION] Device (AMT) side

struct DeviceConfig {
  std::string username = "admin";
  std::string password;
  std::string realm = "Digest:0F3A5B9C2D4E6F708192A3B4C5D6E7F8";
  std::vector<AuthType> auth_methods = {AuthType::kUserPassword, AuthType::kLegacyDigest,
                                        AuthType::kDigest};
  std::vector<SessionType> session_types = {SessionType::kSol, SessionType::kKvm,
                                            SessionType::kIder};
  std::uint8_t protocol_major = 1;
  std::uint8_t protocol_minor = 0;
  std::uint8_t firmware_major = 1;
  std::uint8_t firmware_minor = 0;
  std::uint32_t oem_iana = 343;  // Intel's enterprise number
  unsigned max_auth_attempts = 3;  // failed credentials before the device gives up
  std::size_t max_sol_chunk = 1024;  // SOL data per message sent (1..65535)
  Md5Hex md5_hex;          // required for digest
  TokenSource make_nonce;  // required for digest
  Limits limits;
};

enum class DeviceState {
  kWaitStart,      // waiting for StartRedirectionSession
  kAuthenticating, // waiting for (more) AuthenticateSession
  kAuthenticated,  // waiting for StartSol / KvmStart / the first IDE-R message
  kRunning,        // SOL data flows, or raw RFB / IDE-R bytes
  kSolEnding,      // sent EndSolReply, waiting for EndRedirectionSession
  kClosed,
  kFailed,
};

class DeviceSession {
 public:
  explicit DeviceSession(DeviceConfig config);

  Output feed(std::span<const std::uint8_t> bytes);  // bytes from the console
  // Heartbeats at the interval the console asked for in StartSol (amtterm: 5000 ms; it gives
  // up after 20 s of silence and echoes each heartbeat back).
  Output tick(std::uint64_t now_ms);
  // kRunning SOL only: output of the host's serial port, split into max_sol_chunk messages.
  Output send_sol_data(std::span<const std::uint8_t> data);
  Output send_sol_controls(std::uint8_t control, std::uint8_t status);
  // kRunning KVM/IDE-R only: RFB / IDE-R bytes, unchanged.
  Output send_raw(std::span<const std::uint8_t> data);
  Output end_of_stream();

  DeviceState state() const { return state_; }
  SessionType type() const { return type_; }
  bool finished() const { return state_ == DeviceState::kClosed || state_ == DeviceState::kFailed; }

 private:
  void on_message(Message& message, Output& out);
  void on_auth(const AuthenticateSession& request, Output& out);
  void on_digest(const AuthenticateSession& request, Output& out);
  void auth_result(bool ok, AuthType method, const std::string& username, Output& out);
  void challenge(AuthType type, Output& out);
  bool method_enabled(AuthType type) const;
  void fail(Output& out, std::string code, std::string message);
  void emit(Output& out, const Message& message);

  DeviceConfig config_;
  Decoder decoder_;
  DeviceState state_ = DeviceState::kWaitStart;
  SessionType type_ = SessionType::kSol;
  SolSettings sol_;
  std::string nonce_;  // last nonce issued in a challenge
  unsigned failures_ = 0;
  std::uint32_t sequence_ = 1;
  Interval heartbeat_;
};

}  // namespace mw::redir
