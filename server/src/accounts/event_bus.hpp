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

// Where the bus also sends what happens on this server, when it has peer servers
// (peers/peering.hpp): their sessions get the same events. Called on the dispatching thread.
class EventForwarder {
 public:
  virtual ~EventForwarder() = default;
  virtual void forward_event(const std::string& domain, const Dispatch& d) = 0;
  virtual void forward_user_update(const std::string& userid, const std::vector<std::string>& subs) = 0;
  virtual void forward_user_end(const std::string& userid, const std::string& reason) = 0;
};

class EventBus {
 public:
  // Set once at start, before sessions register (null: no peers).
  void set_forwarder(EventForwarder* f) { forwarder_ = f; }

  void add(const std::shared_ptr<EventSink>& sink, std::string domain, std::string userid, std::vector<std::string> subs);
  void remove(const EventSink* sink);
  // New subscriptions for every session of a user (after its rights changed); an empty list
  // (account removed) keeps the sessions registered but deaf.
  void update_user(const std::string& userid, const std::vector<std::string>& subs) {
    if (forwarder_) forwarder_->forward_user_update(userid, subs);
    update_user_local(userid, subs);
  }
  // Ends every session of a user (account removed or locked); returns how many there were here.
  std::size_t end_user(const std::string& userid, const std::string& reason) {
    if (forwarder_) forwarder_->forward_user_end(userid, reason);
    return end_user_local(userid, reason);
  }
  // Sends {"action":"event","event":...} to each session whose domain is the event's and whose
  // subscriptions meet its targets (and to the peer servers). Returns how many sessions here got it.
  std::size_t dispatch(const std::string& domain, const Dispatch& d) {
    if (forwarder_) forwarder_->forward_event(domain, d);
    return dispatch_local(domain, d);
  }
  // The same, for this server's sessions only (what a peer server forwarded).
  void update_user_local(const std::string& userid, const std::vector<std::string>& subs);
  std::size_t end_user_local(const std::string& userid, const std::string& reason);
  std::size_t dispatch_local(const std::string& domain, const Dispatch& d);
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
  EventForwarder* forwarder_ = nullptr;
};

}  // namespace mw::server::accounts
