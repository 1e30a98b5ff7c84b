// WS-Enumeration client state machine: Enumerate, Pull while a context comes back, stop on
// EndOfSequence; items and rounds are capped so a hostile device cannot keep it going forever.
#include "mw/wsman/enumeration.hpp"

namespace mw::wsman {

Enumeration::Enumeration(std::string resource_uri) : Enumeration(std::move(resource_uri), Options{}) {}

Enumeration::Enumeration(std::string resource_uri, Options options)
    : resource_uri_(std::move(resource_uri)), options_(options) {}

Request Enumeration::start() const { return make_enumerate(resource_uri_); }

Result<std::optional<Request>> Enumeration::on_response(const Response& response) {
  if (state_ == State::kDone) return make_error("wsman-enumeration-over", "the enumeration is over");
  if (response.fault) {
    state_ = State::kDone;
    return response.fault->to_error();
  }
  if (items_.size() + response.items.size() > options_.max_items) {
    state_ = State::kDone;
    return make_error("wsman-too-many-items",
                      "the enumeration returned more than " + std::to_string(options_.max_items) + " items");
  }
  for (const Instance& it : response.items) items_.push_back(it);
  const bool has_context = response.enumeration_context && !response.enumeration_context->empty();
  if (state_ == State::kStart && !has_context && !response.end_of_sequence) {
    state_ = State::kDone;
    return make_error("wsman-no-context", "EnumerateResponse without EnumerationContext");
  }
  if (response.end_of_sequence || !has_context) {
    state_ = State::kDone;
    context_.clear();
    return std::optional<Request>();
  }
  if (++pulls_ > options_.max_pulls) {
    state_ = State::kDone;
    return make_error("wsman-endless-enumeration",
                      "no EndOfSequence after " + std::to_string(options_.max_pulls) + " pulls");
  }
  state_ = State::kPulling;
  context_ = *response.enumeration_context;
  return std::optional<Request>(make_pull(resource_uri_, context_, options_.max_elements));
}

std::optional<Request> Enumeration::release() const {
  if (context_.empty() || state_ == State::kDone) return std::nullopt;
  return make_release(resource_uri_, context_);
}

}  // namespace mw::wsman
