// Intel AMT's end of a redirection session, for the simulator: accepts the session types it is
// configured for, answers the auth query, checks user/password or digest credentials, then runs
// SOL (settings reply, data both ways, heartbeats, orderly end) or hands KVM/IDE-R bytes over.
// It accepts exactly what amtterm sends: no query, plaintext auth, sequence numbers of 0, data
// after EndSol, heartbeats echoed back.
#include <algorithm>

#include "mw/redir/session.hpp"

namespace mw::redir {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Comparison whose time does not depend on where the first difference is.
bool same(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool is_digest(AuthType t) { return t == AuthType::kDigest || t == AuthType::kLegacyDigest; }

const char* state_name(DeviceState s) {
  switch (s) {
    case DeviceState::kWaitStart: return "session start";
    case DeviceState::kAuthenticating: return "authentication";
    case DeviceState::kAuthenticated: return "authenticated";
    case DeviceState::kRunning: return "running";
    case DeviceState::kSolEnding: return "SOL end";
    case DeviceState::kClosed: return "closed";
    case DeviceState::kFailed: return "failed";
  }
  return "?";
}

}  // namespace

DeviceSession::DeviceSession(DeviceConfig config)
    : config_(std::move(config)), decoder_(Role::kDevice, config_.limits) {
  config_.max_sol_chunk = std::clamp<std::size_t>(config_.max_sol_chunk, 1, kMaxSolPayload);
  if (config_.max_auth_attempts == 0) config_.max_auth_attempts = 1;
}

void DeviceSession::emit(Output& out, const Message& message) { encode_to(message, out.send); }

void DeviceSession::fail(Output& out, std::string code, std::string message) {
  state_ = DeviceState::kFailed;
  out.events.emplace_back(Failed{make_error(std::move(code), std::move(message))});
}

bool DeviceSession::method_enabled(AuthType type) const {
  if (type == AuthType::kQuery || type == AuthType::kKerberos) return false;
  return std::find(config_.auth_methods.begin(), config_.auth_methods.end(), type) != config_.auth_methods.end();
}

Output DeviceSession::feed(std::span<const std::uint8_t> bytes) {
  Output out;
  if (finished()) return out;
  std::vector<Message> messages;
  auto decoded = decoder_.feed(bytes, messages);
  for (auto& m : messages) {
    if (finished()) break;
    on_message(m, out);
  }
  if (!decoded.ok() && !finished()) fail(out, decoded.error().code, decoded.error().message);
  return out;
}

void DeviceSession::on_message(Message& message, Output& out) {
  const auto unexpected = [&](const char* what) {
    fail(out, "redir-unexpected", std::string(what) + " during " + state_name(state_));
  };
  const bool sol = type_ == SessionType::kSol;
  std::visit(
      Overloaded{
          [&](StartRedirectionSession& m) {
            if (state_ != DeviceState::kWaitStart) return unexpected("StartRedirectionSession");
            StartRedirectionSessionReply reply;
            reply.protocol_major = config_.protocol_major;
            reply.protocol_minor = config_.protocol_minor;
            reply.firmware_major = config_.firmware_major;
            reply.firmware_minor = config_.firmware_minor;
            reply.oem_iana = config_.oem_iana;
            const bool known = m.type == SessionType::kSol || m.type == SessionType::kKvm ||
                               m.type == SessionType::kIder;
            const bool enabled = std::find(config_.session_types.begin(), config_.session_types.end(),
                                           m.type) != config_.session_types.end();
            if (!known || !enabled) {
              reply.status = known ? kStartUnsupported : kStartTypeUnknown;
              emit(out, reply);
              return fail(out, "redir-start-refused",
                          known ? "session type not enabled" : "unknown session type");
            }
            type_ = m.type;
            emit(out, reply);
            state_ = DeviceState::kAuthenticating;
          },
          [&](EndRedirectionSession&) {
            state_ = DeviceState::kClosed;
            out.events.emplace_back(Closed{});
          },
          [&](AuthenticateSession& m) {
            if (state_ != DeviceState::kAuthenticating) return unexpected("AuthenticateSession");
            on_auth(m, out);
          },
          [&](StartSol& m) {
            if (state_ != DeviceState::kAuthenticated || !sol) return unexpected("StartSol");
            sol_ = m.settings;
            StartSolReply reply;
            reply.version_major = config_.protocol_major;
            reply.version_minor = config_.protocol_minor;
            reply.settings = m.settings;
            reply.oem_iana = config_.oem_iana;
            emit(out, reply);
            state_ = DeviceState::kRunning;
            heartbeat_.reset();
            out.events.emplace_back(Ready{SessionType::kSol, m.settings});
          },
          [&](SolDataToHost& m) {
            // amtterm sends the keystroke that ended the session after its EndSol.
            if (!sol || (state_ != DeviceState::kRunning && state_ != DeviceState::kSolEnding)) {
              return unexpected("SOL data");
            }
            out.events.emplace_back(SolData{std::move(m.data)});
          },
          [&](SolControlsToHost&) {
            if (!sol || state_ < DeviceState::kAuthenticated) return unexpected("SOL controls");
          },
          [&](EndSol& m) {
            if (!sol || state_ != DeviceState::kRunning) return unexpected("EndSol");
            emit(out, EndSolReply{m.sequence});
            state_ = DeviceState::kSolEnding;
            out.events.emplace_back(SolEnded{});
          },
          [&](KeepAlivePing& m) {
            if (state_ == DeviceState::kWaitStart) return unexpected("keep-alive");
            emit(out, KeepAlivePong{m.sequence});
          },
          // Echoes of our heartbeats (amtterm) or the console's own (MeshCommander): liveness.
          [&](KeepAlivePong&) {}, [&](Heartbeat&) {},
          [&](KvmStart&) {
            if (state_ != DeviceState::kAuthenticated) return unexpected("KvmStart");
            emit(out, KvmStartReply{});
            state_ = DeviceState::kRunning;
            out.events.emplace_back(Ready{SessionType::kKvm, {}});
          },
          [&](RawData& m) {
            if (state_ == DeviceState::kAuthenticated && type_ == SessionType::kIder) {
              state_ = DeviceState::kRunning;
              out.events.emplace_back(Ready{SessionType::kIder, {}});
            }
            if (state_ != DeviceState::kRunning || sol) {
              return fail(out, "redir-unauthenticated", "redirected data before authentication");
            }
            out.events.emplace_back(std::move(m));
          },
          [&](auto&) { unexpected("a device message"); },
      },
      message);
}

void DeviceSession::on_auth(const AuthenticateSession& request, Output& out) {
  const AuthType type = request.auth_type;
  if (type == AuthType::kQuery) {
    AuthenticateSessionReply reply{kStatusSuccess, AuthType::kQuery, {}};
    for (AuthType t : config_.auth_methods) {
      if (method_enabled(t)) reply.data.push_back(static_cast<std::uint8_t>(t));
    }
    return emit(out, reply);
  }
  if (!method_enabled(type)) {
    emit(out, AuthenticateSessionReply{kAuthNotSupported, type, {}});
    out.events.emplace_back(AuthFailed{type, kAuthNotSupported, {}});
    if (++failures_ >= config_.max_auth_attempts) {
      fail(out, "redir-auth-attempts", "too many failed authentication attempts");
    }
    return;
  }
  if (type == AuthType::kUserPassword) {
    auto creds = parse_user_password(request.data);
    if (!creds.ok()) return auth_result(false, type, {}, out);
    const bool ok = same(creds->username, config_.username) && same(creds->password, config_.password);
    return auth_result(ok, type, creds->username, out);
  }
  on_digest(request, out);
}

void DeviceSession::on_digest(const AuthenticateSession& request, Output& out) {
  const AuthType type = request.auth_type;
  if (!config_.md5_hex || !config_.make_nonce) {
    return fail(out, "redir-config", "digest authentication needs md5_hex and make_nonce");
  }
  auto fields = parse_digest_response(request.data, type);
  if (!fields.ok()) return auth_result(false, type, {}, out);
  if (fields->response.empty()) return challenge(type, out);  // first step: send realm and nonce
  bool ok = !nonce_.empty() && same(fields->nonce, nonce_) && same(fields->realm, config_.realm) &&
            same(fields->username, config_.username) &&
            (type == AuthType::kLegacyDigest || fields->qop == "auth");
  if (ok) {
    const std::string expected = digest_response(config_.md5_hex, *fields, config_.password, type);
    ok = same(lower(fields->response), expected);
  }
  nonce_.clear();  // one answer per nonce
  auth_result(ok, type, fields->username, out);
}

void DeviceSession::challenge(AuthType type, Output& out) {
  nonce_ = config_.make_nonce();
  DigestChallenge c{config_.realm, nonce_, type == AuthType::kDigest ? "auth" : ""};
  auto data = encode_digest_challenge(c, type);
  if (!data.ok()) return fail(out, data.error().code, data.error().message);
  emit(out, AuthenticateSessionReply{kAuthFailure, type, std::move(data.value())});
}

void DeviceSession::auth_result(bool ok, AuthType method, const std::string& username, Output& out) {
  if (ok) {
    emit(out, AuthenticateSessionReply{kStatusSuccess, method, {}});
    state_ = DeviceState::kAuthenticated;
    out.events.emplace_back(Authenticated{method, username});
    return;
  }
  const bool give_up = ++failures_ >= config_.max_auth_attempts;
  if (is_digest(method) && !give_up) {
    // A fresh challenge lets the console try other credentials on the same connection.
    challenge(method, out);
    if (finished()) return;
  } else {
    emit(out, AuthenticateSessionReply{kAuthFailure, method, {}});
  }
  out.events.emplace_back(AuthFailed{method, kAuthFailure, username});
  if (give_up) fail(out, "redir-auth-attempts", "too many failed authentication attempts");
}

Output DeviceSession::tick(std::uint64_t now_ms) {
  Output out;
  if (state_ != DeviceState::kRunning || type_ != SessionType::kSol || sol_.heartbeat_interval == 0) return out;
  if (heartbeat_.due(now_ms, sol_.heartbeat_interval)) emit(out, Heartbeat{sequence_++});
  return out;
}

Output DeviceSession::send_sol_data(std::span<const std::uint8_t> data) {
  Output out;
  if (state_ != DeviceState::kRunning || type_ != SessionType::kSol) return out;
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), config_.max_sol_chunk);
    emit(out, SolDataFromHost{sequence_++, {data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n)}});
    data = data.subspan(n);
  }
  return out;
}

Output DeviceSession::send_sol_controls(std::uint8_t control, std::uint8_t status) {
  Output out;
  if (state_ != DeviceState::kRunning || type_ != SessionType::kSol) return out;
  emit(out, SolControlsFromHost{sequence_++, control, status});
  return out;
}

Output DeviceSession::send_raw(std::span<const std::uint8_t> data) {
  Output out;
  if (state_ != DeviceState::kRunning || type_ == SessionType::kSol) return out;
  out.send.assign(data.begin(), data.end());
  return out;
}

Output DeviceSession::end_of_stream() {
  Output out;
  if (finished()) return out;
  if (auto error = decoder_.finish()) {
    fail(out, error->code, error->message);
  } else {
    // A console may hang up at any point (amtterm does after a refused password).
    state_ = DeviceState::kClosed;
    out.events.emplace_back(Closed{});
  }
  return out;
}

}  // namespace mw::redir
