// Live event dispatch (event_bus.hpp).
#include "accounts/event_bus.hpp"

#include <algorithm>

namespace mw::server::accounts {

void EventBus::add(const std::shared_ptr<EventSink>& sink, std::string domain, std::string userid, std::vector<std::string> subs) {
  std::sort(subs.begin(), subs.end());
  std::lock_guard lock(mu_);
  entries_[sink.get()] = Entry{sink, std::move(domain), std::move(userid), std::move(subs)};
}

void EventBus::remove(const EventSink* sink) {
  std::lock_guard lock(mu_);
  entries_.erase(sink);
}

void EventBus::update_user_local(const std::string& userid, const std::vector<std::string>& subs) {
  std::vector<std::string> sorted = subs;
  std::sort(sorted.begin(), sorted.end());
  std::lock_guard lock(mu_);
  for (auto& [_, e] : entries_) {
    if (e.userid == userid) e.subs = sorted;
  }
}

std::size_t EventBus::end_user_local(const std::string& userid, const std::string& reason) {
  std::vector<std::shared_ptr<EventSink>> to;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, e] : entries_) {
      if (e.userid != userid) continue;
      if (auto s = e.sink.lock()) to.push_back(std::move(s));
    }
  }
  for (auto& s : to) s->end(reason);
  return to.size();
}

std::size_t EventBus::dispatch_local(const std::string& domain, const Dispatch& d) {
  auto message = std::make_shared<const std::string>(Json{{"action", "event"}, {"event", d.event}}.dump(-1, ' ', false, Json::error_handler_t::replace));
  std::vector<std::shared_ptr<EventSink>> to;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, e] : entries_) {
      if (e.domain != domain) continue;
      const bool hit = std::any_of(d.targets.begin(), d.targets.end(),
                                   [&](const std::string& t) { return std::binary_search(e.subs.begin(), e.subs.end(), t); });
      if (!hit) continue;
      if (auto s = e.sink.lock()) to.push_back(std::move(s));
    }
  }
  for (auto& s : to) s->push(message);
  return to.size();
}

std::vector<std::shared_ptr<EventSink>> EventBus::sessions_of(const std::string& userid) {
  std::vector<std::shared_ptr<EventSink>> out;
  std::lock_guard lock(mu_);
  for (const auto& [_, e] : entries_) {
    if (e.userid != userid) continue;
    if (auto s = e.sink.lock()) out.push_back(std::move(s));
  }
  return out;
}

std::size_t EventBus::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace mw::server::accounts
