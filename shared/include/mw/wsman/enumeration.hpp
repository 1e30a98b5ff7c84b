// Client side of a WS-Enumeration (Enumerate, then Pull until EndOfSequence) as a small state
// machine: it makes the requests, follows the EnumerationContext from each reply, collects the
// items, and stops on EndOfSequence or on a reply without context (as AMT ends a sequence).
// The caller fills in MessageIDs, sends, checks RelatesTo (check_reply) and feeds the replies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mw/util/result.hpp"
#include "mw/wsman/envelope.hpp"

namespace mw::wsman {

class Enumeration {
 public:
  struct Options {
    std::optional<std::uint32_t> max_elements;  // per Pull; unset sends none
    std::size_t max_items = 10000;              // a device sending more is an error
    std::size_t max_pulls = 1000;               // a device never ending the sequence is an error
  };

  explicit Enumeration(std::string resource_uri);
  Enumeration(std::string resource_uri, Options options);

  // The Enumerate request.
  Request start() const;
  // Feeds the reply to the last request: the next Pull, or nullopt when the sequence is over.
  // A fault or a broken sequence is an error, after which the enumeration is over.
  Result<std::optional<Request>> on_response(const Response& response);

  bool done() const { return state_ == State::kDone; }
  const std::vector<Instance>& items() const { return items_; }
  std::vector<Instance> take_items() { return std::move(items_); }
  // When giving up early: a Release of the open context (nullopt when none is open).
  std::optional<Request> release() const;

 private:
  enum class State { kStart, kPulling, kDone };
  std::string resource_uri_;
  Options options_;
  State state_ = State::kStart;
  std::string context_;
  std::size_t pulls_ = 0;
  std::vector<Instance> items_;
};

}  // namespace mw::wsman
