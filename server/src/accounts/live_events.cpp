// Events raised by connections (live_events.hpp).
#include "accounts/live_events.hpp"

#include "accounts/actions.hpp"
#include "accounts/model.hpp"
#include "accounts/service.hpp"
#include "store/records.hpp"

namespace mw::server::accounts {

void announce_presence(const ServerContext& ctx, const std::string& nodeid, const PresenceState& state, int old_power) {
  ctx.accounts->bus().dispatch(domain_of(nodeid), Dispatch{{"*", state.meshid, nodeid}, nodeconnect_event(nodeid, state)});
  if (state.pwr == old_power) return;
  ctx.async_db->run(
      ctx.async_db_executor,
      [nodeid, pwr = state.pwr, old_power](store::Store& s) {
        return s.add_power_event({{"nodeid", nodeid}, {"power", pwr}, {"oldPower", old_power}});
      },
      [](store::Status) {});
}

void record_relay_session(const ServerContext& ctx, const RelaySession& r) {
  const auto secs = (store::now_ms() - r.started_ms) / 1000;
  Json ev{{"etype", "relay"},
          {"action", "relaylog"},
          {"nodeid", r.nodeid},
          {"meshid", r.meshid},
          {"userid", r.userid},
          {"username", r.username},
          {"protocol", r.protocol},
          {"bytesin", r.bytes_in},
          {"bytesout", r.bytes_out},
          {"duration", secs},
          {"msg", r.kind + " session to " + r.device_name + " ended after " + std::to_string(secs) + " s (" +
                      std::to_string(r.bytes_in) + " bytes in, " + std::to_string(r.bytes_out) + " bytes out)"},
          {"domain", r.domain}};
  auto* bus = &ctx.accounts->bus();
  ctx.async_db->run(
      ctx.async_db_executor,
      [ev, targets = std::vector<std::string>{"*", r.meshid, r.nodeid, r.userid}](store::Store& s) {
        Outcome out;
        record_event(s, out, targets, ev);
        return out;
      },
      [bus, domain = r.domain](Outcome out) { bus->dispatch_all(domain, out.events); });
}

}  // namespace mw::server::accounts
