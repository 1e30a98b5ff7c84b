// WS-Management client conversation: envelope → POST with Digest → response, one at a time.
#include "mw/wsman/client.hpp"

#include <array>
#include <utility>
#include <vector>

namespace mw::wsman {

Client::Client(Options options, std::function<std::string(std::size_t)> random_hex)
    : options_(std::move(options)),
      random_hex_(std::move(random_hex)),
      digest_(options_.username, options_.password),
      parser_(HttpRole::kResponse, options_.limits) {
  if (!options_.pinned_realm.empty()) digest_.pin_realm(options_.pinned_realm);
}

std::string Client::realm() const { return digest_.challenge() ? digest_.challenge()->realm : std::string(); }

bool Client::send(Request request) {
  if (pending_ || closed_) return false;
  const std::string hex = random_hex_(16);
  std::array<std::uint8_t, 16> id{};
  for (std::size_t i = 0; i < id.size() && 2 * i + 1 < hex.size(); ++i) {
    id[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  request.message_id = make_message_id(id);
  auto body = build_request(request);
  if (!body) {
    // Not sendable (a value XML cannot carry): nothing goes out; the caller sees it at once.
    pending_.reset();
    return false;
  }
  pending_ = std::move(request);
  pending_body_ = std::move(*body);
  attempts_ = 0;
  if (write_pending()) {
    pending_.reset();
    return false;
  }
  return true;
}

std::optional<Error> Client::write_pending() {
  HttpPost post;
  post.host = options_.host;
  if (digest_.ready()) {
    auto auth = digest_.authorization("POST", post.target, random_hex_(16));
    if (!auth) return auth.error();
    post.authorization = std::move(*auth);
  }
  auto text = build_http_post(post, pending_body_);
  if (!text) return text.error();
  out_ += *text;
  ++attempts_;
  return std::nullopt;
}

std::string Client::take_output() { return std::exchange(out_, {}); }

std::optional<Result<Response>> Client::feed(std::span<const std::uint8_t> data) {
  if (closed_ && !pending_) return std::nullopt;
  std::vector<HttpMessage> messages;
  auto added = parser_.feed(data, messages);
  std::optional<Result<Response>> result;
  for (const auto& m : messages) {
    if (auto r = on_message(m)) result = std::move(r);
  }
  if (!added) {
    closed_ = true;
    if (pending_) {
      pending_.reset();
      return Result<Response>(added.error());
    }
  }
  return result;
}

std::optional<Result<Response>> Client::end_of_stream() {
  closed_ = true;
  std::vector<HttpMessage> messages;
  auto done = parser_.finish(messages);
  std::optional<Result<Response>> result;
  for (const auto& m : messages) {
    if (auto r = on_message(m)) result = std::move(r);
  }
  if (result) return result;
  if (!pending_) return std::nullopt;
  pending_.reset();
  if (!done) return Result<Response>(done.error());
  return Result<Response>(make_error("wsman-closed", "Intel AMT closed the connection before answering"));
}

std::optional<Result<Response>> Client::on_message(const HttpMessage& m) {
  if (!m.keep_alive()) closed_ = true;
  if (!pending_) return std::nullopt;  // an answer nobody asked for: ignored
  if (m.status == 401) {
    const std::string challenge(m.header("WWW-Authenticate"));
    auto parsed = parse_digest_challenge(challenge);
    // A retry makes sense the first time (no credentials were sent yet, or the nonce expired).
    const bool stale = parsed && parsed->stale;
    if (!parsed || attempts_ >= (stale ? 3 : 2) || closed_) {
      pending_.reset();
      return Result<Response>(make_error("wsman-unauthorized", parsed ? "Intel AMT refused the user name or password"
                                                                       : "Intel AMT refused the request: " + parsed.error().message));
    }
    if (auto err = digest_.on_challenge(challenge)) {
      pending_.reset();
      return Result<Response>(*err);
    }
    if (auto err = write_pending()) {
      pending_.reset();
      return Result<Response>(*err);
    }
    return std::nullopt;
  }
  Request request = std::move(*pending_);
  pending_.reset();
  // AMT answers faults with 400 or 500 and a SOAP body; anything else without one is an error.
  if (m.status != 200 && m.body.find("Envelope") == std::string::npos) {
    return Result<Response>(make_error("wsman-http-status", "Intel AMT answered HTTP " + std::to_string(m.status)));
  }
  auto response = parse_response(m.body);
  if (!response) return response;
  if (!response->fault) {
    if (auto err = check_reply(request, *response)) return Result<Response>(*err);
  }
  return response;
}

}  // namespace mw::wsman
