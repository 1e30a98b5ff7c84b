// Live events: every logged-in control session registers here with its user's subscriptions
// (model.hpp subscriptions()); an event goes to the sessions of its domain subscribed to one of
// its targets. Thread-safe; sinks receive the serialised message on the dispatching thread and
// must post it to their own executor.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "accounts/actions.hpp"

namespace mw::server::accounts {

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void push(std::shared_ptr<const std::string> message) = 0;
  // The account was removed or locked: tell the peer why ({"action":"close","cause":"noauth"}) and close.
  virtual void end(std::string reason) = 0;
};

class EventBus {
 public:
  void add(const std::shared_ptr<EventSink>& sink, std::string domain, std::string userid, std::vector<std::string> subs);
  void remove(const EventSink* sink);
  // New subscriptions for every session of a user (after its rights changed); an empty list
  // (account removed) keeps the sessions registered but deaf.
  void update_user(const std::string& userid, const std::vector<std::string>& subs);
  // Ends every session of a user (account removed or locked); returns how many there were.
  std::size_t end_user(const std::string& userid, const std::string& reason);
  // Sends {"action":"event","event":...} to each session whose domain is the event's and whose
  // subscriptions meet its targets. Returns how many sessions got it.
  std::size_t dispatch(const std::string& domain, const Dispatch& d);
  // Each of an action's stored events, in order.
  void dispatch_all(const std::string& domain, const std::vector<Dispatch>& events) {
    for (const auto& e : events) dispatch(domain, e);
  }
  // Sessions of a user (for "wssessioncount" and to close them when the account goes).
  std::vector<std::shared_ptr<EventSink>> sessions_of(const std::string& userid);
  std::size_t size() const;

 private:
  struct Entry {
    std::weak_ptr<EventSink> sink;
    std::string domain;
    std::string userid;
    std::vector<std::string> subs;  // sorted
  };
  mutable std::mutex mu_;
  std::map<const EventSink*, Entry> entries_;
};

}  // namespace mw::server::accounts
