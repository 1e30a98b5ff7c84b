// Console end of a redirection session: StartRedirectionSession, auth query, digest challenge and
// response (or plaintext when allowed and nothing else is offered), then StartSol / KvmStart, and
// the SOL data, keep-alive and orderly end that follow.
#include <algorithm>
#include <cstdio>

#include "mw/redir/session.hpp"

namespace mw::redir {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

bool known_type(SessionType t) {
  return t == SessionType::kSol || t == SessionType::kKvm || t == SessionType::kIder;
}

std::string status_text(std::uint8_t status) {
  switch (status) {
    case kStartTypeUnknown: return "session type unknown";
    case kStartBusy: return "busy";
    case kStartUnsupported: return "unsupported";
    case kStartError: return "error";
    default: return "status " + std::to_string(status);
  }
}

const char* state_name(ClientState s) {
  switch (s) {
    case ClientState::kIdle: return "idle";
    case ClientState::kStarting: return "session start";
    case ClientState::kQuerying: return "auth query";
    case ClientState::kChallenging: return "digest challenge";
    case ClientState::kAuthenticating: return "authentication";
    case ClientState::kStartingSol: return "SOL start";
    case ClientState::kStartingKvm: return "KVM start";
    case ClientState::kRunning: return "running";
    case ClientState::kClosing: return "closing";
    case ClientState::kClosed: return "closed";
    case ClientState::kFailed: return "failed";
  }
  return "?";
}

}  // namespace

ClientSession::ClientSession(ClientConfig config)
    : config_(std::move(config)), decoder_(Role::kClient, config_.limits) {
  config_.max_sol_chunk = std::clamp<std::size_t>(config_.max_sol_chunk, 1, kMaxSolPayload);
  decoder_.set_session_type(config_.type);
}

void ClientSession::emit(Output& out, const Message& message) { encode_to(message, out.send); }

void ClientSession::fail(Output& out, std::string code, std::string message) {
  state_ = ClientState::kFailed;
  out.events.emplace_back(Failed{make_error(std::move(code), std::move(message))});
}

Output ClientSession::start() {
  Output out;
  if (state_ != ClientState::kIdle) return out;
  if (!known_type(config_.type)) {
    fail(out, "redir-config", "unknown session type");
  } else if (config_.username.size() > 255 || config_.password.size() > 255 || config_.uri.size() > 255) {
    fail(out, "redir-config", "username, password and uri must be at most 255 bytes");
  } else {
    // MeshCommander marks KVM with a 1 in byte 1; AMT accepts 0 as well (amtterm's habit).
    emit(out, StartRedirectionSession{config_.type, config_.type == SessionType::kKvm ? std::uint8_t{1}
                                                                                      : std::uint8_t{0}});
    state_ = ClientState::kStarting;
  }
  return out;
}

Output ClientSession::feed(std::span<const std::uint8_t> bytes) {
  Output out;
  if (finished()) return out;
  if (state_ == ClientState::kIdle) {
    fail(out, "redir-unexpected", "bytes from the device before the session was started");
    return out;
  }
  std::vector<Message> messages;
  auto decoded = decoder_.feed(bytes, messages);
  for (auto& m : messages) {
    if (finished()) break;
    on_message(m, out);
  }
  if (!decoded.ok() && !finished()) fail(out, decoded.error().code, decoded.error().message);
  return out;
}

void ClientSession::on_message(Message& message, Output& out) {
  const auto unexpected = [&](const char* what) {
    fail(out, "redir-unexpected", std::string(what) + " during " + state_name(state_));
  };
  std::visit(
      Overloaded{
          [&](StartRedirectionSessionReply& m) {
            if (state_ != ClientState::kStarting) return unexpected("StartRedirectionSessionReply");
            if (m.status != kStatusSuccess) {
              return fail(out, "redir-start-refused", "AMT refused the session: " + status_text(m.status));
            }
            emit(out, AuthenticateSession{AuthType::kQuery, {}});
            state_ = ClientState::kQuerying;
          },
          [&](AuthenticateSessionReply& m) { on_auth_reply(m, out); },
          [&](StartSolReply& m) {
            if (state_ != ClientState::kStartingSol) return unexpected("StartSolReply");
            if (m.status != kStatusSuccess) {
              return fail(out, "redir-sol-refused", "AMT refused SOL: status " + std::to_string(m.status));
            }
            state_ = ClientState::kRunning;
            out.events.emplace_back(Ready{SessionType::kSol, m.settings});
          },
          [&](EndSolReply&) {
            if (state_ != ClientState::kClosing && state_ != ClientState::kRunning) return unexpected("EndSolReply");
            emit(out, EndRedirectionSession{});
            state_ = ClientState::kClosed;
            out.events.emplace_back(Closed{});
          },
          [&](SolDataFromHost& m) {
            if (state_ != ClientState::kRunning && state_ != ClientState::kClosing) return unexpected("SOL data");
            out.events.emplace_back(SolData{std::move(m.data)});
          },
          [&](SolControlsFromHost& m) {
            if (config_.type != SessionType::kSol || state_ < ClientState::kStartingSol) {
              return unexpected("SOL controls");
            }
            out.events.emplace_back(SolControls{m.control, m.status});
          },
          // Liveness only: our own keep-alives (tick) are what AMT's receive timeout watches.
          [&](Heartbeat&) {}, [&](KeepAlivePing&) {}, [&](KeepAlivePong&) {},
          [&](KvmStartReply&) {
            if (state_ != ClientState::kStartingKvm) return unexpected("KvmStartReply");
            state_ = ClientState::kRunning;
            out.events.emplace_back(Ready{SessionType::kKvm, {}});
          },
          [&](RawData& m) {
            if (state_ != ClientState::kRunning || config_.type == SessionType::kSol) {
              return unexpected("IDE-R data");
            }
            out.events.emplace_back(std::move(m));
          },
          [&](RecordingNotice& m) { out.events.emplace_back(m); },
          [&](auto&) { unexpected("a console message"); },
      },
      message);
}

void ClientSession::send_auth(AuthType type, std::vector<std::uint8_t> data, Output& out) {
  emit(out, AuthenticateSession{type, std::move(data)});
}

void ClientSession::on_auth_reply(AuthenticateSessionReply& reply, Output& out) {
  if (state_ == ClientState::kQuerying) {
    if (reply.auth_type != AuthType::kQuery || reply.status != kStatusSuccess) {
      return fail(out, "redir-auth-query", "AMT did not answer the authentication query");
    }
    const auto offered = [&](AuthType t) {
      return std::find(reply.data.begin(), reply.data.end(), static_cast<std::uint8_t>(t)) != reply.data.end();
    };
    if (offered(AuthType::kDigest) || offered(AuthType::kLegacyDigest)) {
      if (!config_.md5_hex || !config_.make_cnonce) {
        return fail(out, "redir-config", "digest authentication needs md5_hex and make_cnonce");
      }
      method_ = offered(AuthType::kDigest) ? AuthType::kDigest : AuthType::kLegacyDigest;
      // Username and uri only: AMT answers with realm, nonce and qop.
      DigestResponse first;
      first.username = config_.username;
      first.uri = config_.uri;
      auto data = encode_digest_response(first, method_);
      if (!data.ok()) return fail(out, data.error().code, data.error().message);
      send_auth(method_, std::move(data.value()), out);
      state_ = ClientState::kChallenging;
    } else if (offered(AuthType::kUserPassword) && config_.allow_user_password) {
      method_ = AuthType::kUserPassword;
      auto data = encode_user_password({config_.username, config_.password});
      if (!data.ok()) return fail(out, data.error().code, data.error().message);
      send_auth(method_, std::move(data.value()), out);
      state_ = ClientState::kAuthenticating;
    } else {
      fail(out, "redir-no-auth-method", "AMT offers no authentication method this console may use");
    }
    return;
  }
  if (state_ == ClientState::kChallenging) {
    // Some front ends (MeshCentral's interceptor) authenticate on our behalf: success at once.
    if (reply.status == kStatusSuccess && reply.auth_type != AuthType::kQuery) {
      return authenticated(reply.auth_type, out);
    }
    if (reply.status != kAuthFailure || reply.auth_type != method_) {
      state_ = ClientState::kFailed;
      out.events.emplace_back(AuthFailed{method_, reply.status, config_.username});
      return;
    }
    auto challenge = parse_digest_challenge(reply.data, method_);
    if (!challenge.ok()) return fail(out, challenge.error().code, challenge.error().message);
    DigestResponse r;
    r.username = config_.username;
    r.realm = challenge->realm;
    r.nonce = challenge->nonce;
    r.uri = config_.uri;
    r.cnonce = config_.make_cnonce();
    char nc[16];
    std::snprintf(nc, sizeof nc, "%08x", static_cast<unsigned>(++nonce_count_));
    r.nc = nc;
    r.qop = method_ == AuthType::kDigest ? challenge->qop : std::string();
    r.response = digest_response(config_.md5_hex, r, config_.password, method_);
    auto data = encode_digest_response(r, method_);
    if (!data.ok()) return fail(out, data.error().code, data.error().message);
    send_auth(method_, std::move(data.value()), out);
    state_ = ClientState::kAuthenticating;
    return;
  }
  if (state_ == ClientState::kAuthenticating) {
    if (reply.status == kStatusSuccess) return authenticated(method_, out);
    state_ = ClientState::kFailed;
    out.events.emplace_back(AuthFailed{method_, reply.status, config_.username});
    return;
  }
  fail(out, "redir-unexpected", std::string("AuthenticateSessionReply during ") + state_name(state_));
}

void ClientSession::authenticated(AuthType method, Output& out) {
  out.events.emplace_back(Authenticated{method, config_.username});
  switch (config_.type) {
    case SessionType::kSol:
      emit(out, StartSol{sequence_++, config_.sol_settings});
      state_ = ClientState::kStartingSol;
      break;
    case SessionType::kKvm:
      emit(out, KvmStart{});
      state_ = ClientState::kStartingKvm;
      break;
    case SessionType::kIder:
      // IDE-R messages are the owner's from here (the IDE-R console starts with 0x40).
      state_ = ClientState::kRunning;
      out.events.emplace_back(Ready{SessionType::kIder, {}});
      break;
  }
}

Output ClientSession::tick(std::uint64_t now_ms) {
  Output out;
  if (state_ != ClientState::kRunning || config_.type != SessionType::kSol || config_.keepalive_interval_ms == 0) {
    return out;
  }
  if (keepalive_.due(now_ms, config_.keepalive_interval_ms)) emit(out, Heartbeat{sequence_++});
  return out;
}

Output ClientSession::send_sol_data(std::span<const std::uint8_t> data) {
  Output out;
  if (state_ != ClientState::kRunning || config_.type != SessionType::kSol) return out;
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), config_.max_sol_chunk);
    emit(out, SolDataToHost{sequence_++, {data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n)}});
    data = data.subspan(n);
  }
  return out;
}

Output ClientSession::send_raw(std::span<const std::uint8_t> data) {
  Output out;
  if (state_ != ClientState::kRunning || config_.type == SessionType::kSol) return out;
  out.send.assign(data.begin(), data.end());
  return out;
}

Output ClientSession::close() {
  Output out;
  if (finished() || state_ == ClientState::kClosing) return out;
  if (state_ == ClientState::kRunning && config_.type == SessionType::kSol) {
    emit(out, EndSol{sequence_++});
    state_ = ClientState::kClosing;
    return out;
  }
  // Mid-handshake the session manager still listens; after a KVM/IDE-R hand-over the stream is
  // RFB/IDE-R, so the owner just closes the connection.
  if (state_ != ClientState::kIdle && state_ != ClientState::kRunning) emit(out, EndRedirectionSession{});
  state_ = ClientState::kClosed;
  out.events.emplace_back(Closed{});
  return out;
}

Output ClientSession::end_of_stream() {
  Output out;
  if (finished()) return out;
  if (auto error = decoder_.finish()) {
    fail(out, error->code, error->message);
  } else if (state_ == ClientState::kClosing || (state_ == ClientState::kRunning && config_.type != SessionType::kSol)) {
    state_ = ClientState::kClosed;
    out.events.emplace_back(Closed{});
  } else {
    fail(out, "redir-eof", std::string("AMT closed the connection during ") + state_name(state_));
  }
  return out;
}

}  // namespace mw::redir
