// AMT manager: WS-Management conversations over APF channels (WsmanChannel), the inventory and
// power-action scripts, and what their results change (records, presence, events).
#include "amt/amt_manager.hpp"

#include <deque>
#include <functional>

#include "accounts/model.hpp"
#include "accounts/service.hpp"
#include "amt/credentials.hpp"
#include "amt/tcp_link.hpp"
#include "auth/random.hpp"
#include "log.hpp"
#include "mw/wsman/amt_logs.hpp"
#include "mw/wsman/client.hpp"
#include "mw/wsman/enumeration.hpp"
#include "store/records.hpp"

namespace mw::server::amt {

// One step of a script: a single request, or a whole enumeration (Enumerate and its Pulls).
struct Op {
  std::optional<wsman::Request> request;
  std::optional<wsman::Enumeration> enumeration;
  std::function<void(const wsman::Response&)> on_response;
  std::function<void(std::vector<wsman::Instance>)> on_items;
  // After on_response / on_items: may put follow-up steps at the front of the rest (paged reads).
  std::function<void(std::deque<Op>& rest)> then;
};

namespace {

using Json = nlohmann::json;
using wsman::Instance;
using wsman::Response;

Op single(wsman::Request r, std::function<void(const Response&)> f) {
  Op op;
  op.request = std::move(r);
  op.on_response = std::move(f);
  return op;
}
Op enumerate(wsman::Enumeration e, std::function<void(std::vector<Instance>)> f) {
  Op op;
  op.enumeration = std::move(e);
  op.on_items = std::move(f);
  return op;
}

// Runs a script of WS-Management steps over one APF channel to port 16992, then closes it.
// `done` gets nullopt when every step was answered, or the first error (the rest are skipped).
// Lives on the CIRA connection's strand.
class WsmanChannel : public ChannelUser, public std::enable_shared_from_this<WsmanChannel> {
 public:
  using Done = std::function<void(std::optional<Error>)>;
  WsmanChannel(std::shared_ptr<CiraLink> link, const AmtCredentials& c, std::deque<Op> ops, Done done)
      : link_(std::move(link)),
        client_({link_->uuid() + ":16992", c.user, c.pass, "", {}}, auth::random_hex),
        ops_(std::move(ops)),
        done_(std::move(done)) {}

  static void start(std::shared_ptr<CiraLink> link, const AmtCredentials& c, std::deque<Op> ops, Done done) {
    auto ch = std::make_shared<WsmanChannel>(link, c, std::move(ops), std::move(done));
    link->open_channel(16992, ch);
  }

  void on_open(bool ok, std::uint32_t channel) override {
    if (!ok) return finish(make_error("amt-channel-refused", "Intel AMT refused a channel to its WS-Management port"));
    channel_ = channel;
    open_ = true;
    next();
  }
  void on_data(std::span<const std::uint8_t> data) override {
    link_->consume(channel_, data.size());
    if (finished_) return;
    auto r = client_.feed(data);
    flush();
    if (r) on_result(std::move(*r));
  }
  void on_closed() override {
    open_ = false;
    if (finished_) return;
    auto r = client_.end_of_stream();
    finish(r && !*r ? r->error() : make_error("amt-channel-closed", "the WS-Management channel closed early"));
  }

 private:
  void next() {
    if (ops_.empty()) return finish(std::nullopt);
    Op& op = ops_.front();
    const wsman::Request r = op.request ? *op.request : op.enumeration->start();
    send(r);
  }
  void send(const wsman::Request& r) {
    if (!client_.send(r)) return finish(make_error("amt-request", "the WS-Management request could not be sent"));
    flush();
  }
  void flush() {
    std::string out = client_.take_output();
    if (!out.empty() && open_) link_->send(channel_, std::vector<std::uint8_t>(out.begin(), out.end()));
  }
  void on_result(Result<Response> r) {
    if (!r) return finish(r.error());
    Op& op = ops_.front();
    if (op.request) {
      if (r->fault) return finish(make_error("wsman-fault", r->fault->reason.empty() ? "WS-Management fault" : r->fault->reason));
      auto f = std::move(op.on_response);
      auto then = std::move(op.then);
      ops_.pop_front();
      f(*r);
      if (then) then(ops_);
      return next();
    }
    auto more = op.enumeration->on_response(*r);
    if (!more) return finish(more.error());
    if (*more) return send(**more);
    auto f = std::move(op.on_items);
    auto then = std::move(op.then);
    auto items = op.enumeration->take_items();
    ops_.pop_front();
    f(std::move(items));
    if (then) then(ops_);
    next();
  }
  void finish(std::optional<Error> error) {
    if (finished_) return;
    finished_ = true;
    if (open_) link_->close_channel(channel_);
    auto done = std::move(done_);
    done(std::move(error));
  }

  std::shared_ptr<CiraLink> link_;
  wsman::Client client_;
  std::deque<Op> ops_;
  Done done_;
  std::uint32_t channel_ = 0;
  bool open_ = false, finished_ = false;
};

struct Inventory {
  std::string meshid;  // of the device record, once read
  std::optional<wsman::GeneralSettings> settings;
  std::string version;
  std::optional<wsman::PowerState> power;
};

Op read_power(std::shared_ptr<Inventory> inv) {
  return enumerate(wsman::enumeration<wsman::AssociatedPowerManagementService>(), [inv](std::vector<Instance> items) {
    auto s = wsman::read_items<wsman::AssociatedPowerManagementService>(items);
    if (s && !s->empty()) inv->power = s->front().power_state;
  });
}

// A paged log read (amtinfo "eventlog" / "auditlog"): what was read so far.
struct LogRead {
  std::vector<wsman::AuditRecord> audit;
  std::vector<wsman::EventRecord> events;
  std::uint32_t iteration = 0;  // event log: the next GetRecords' IterationIdentifier
  bool more = false;
  std::string error;  // a page that could not be read ends the reading
};

// AMT_AuditLog.ReadRecords from `start` (1-based), then the next page while records remain.
Op audit_page(std::shared_ptr<LogRead> st, std::uint32_t start) {
  Op op = single(wsman::audit_log_read_records(start), [st](const Response& r) {
    auto page = wsman::read_audit_log_page(r);
    st->more = false;
    if (!page) {
      st->error = page.error().message;
      return;
    }
    for (auto& rec : page->records) st->audit.push_back(std::move(rec));
    st->more = page->records_returned > 0 && st->audit.size() < page->total_record_count &&
               st->audit.size() < AmtManager::kMaxLogRecords;
  });
  op.then = [st](std::deque<Op>& rest) {
    if (st->more) rest.push_front(audit_page(st, static_cast<std::uint32_t>(st->audit.size() + 1)));
  };
  return op;
}

// AMT_MessageLog.GetRecords from the iteration identifier, then the next page until NoMoreRecords.
Op event_page(std::shared_ptr<LogRead> st) {
  Op op = single(wsman::message_log_get_records(st->iteration), [st](const Response& r) {
    auto page = wsman::read_message_log_page(r);
    st->more = false;
    if (!page) {
      st->error = page.error().message;
      return;
    }
    for (auto& rec : page->records) st->events.push_back(rec);
    st->iteration = page->iteration_identifier;
    st->more = !page->no_more_records && !page->records.empty() && st->events.size() < AmtManager::kMaxLogRecords;
  });
  op.then = [st](std::deque<Op>& rest) {
    if (st->more) rest.push_front(event_page(st));
  };
  return op;
}

// MeshCentral's boot actions (poweraction 311-316, minus 300): where to boot, with SOL, and
// whether the computer is reset (on) or powered on (off).
struct BootPlan {
  wsman::BootTarget target;
  bool use_sol;
  bool reset;
  int ider = -1;  // a boot from the IDE-R floppy (0) or CD-ROM (1) instead of `target`
};
std::optional<BootPlan> boot_plan(int power_state) {
  switch (power_state) {
    case 11: return BootPlan{wsman::BootTarget::kBiosSetup, false, false};
    case 12: return BootPlan{wsman::BootTarget::kBiosSetup, false, true};
    case 13: return BootPlan{wsman::BootTarget::kBiosSetup, true, false};
    case 14: return BootPlan{wsman::BootTarget::kBiosSetup, true, true};
    case 15: return BootPlan{wsman::BootTarget::kPxe, false, false};
    case 16: return BootPlan{wsman::BootTarget::kPxe, false, true};
    case 17: return BootPlan{wsman::BootTarget::kCdDvd, false, false, 0};
    case 18: return BootPlan{wsman::BootTarget::kCdDvd, false, true, 0};
    case 19: return BootPlan{wsman::BootTarget::kCdDvd, false, false, 1};
    case 20: return BootPlan{wsman::BootTarget::kCdDvd, false, true, 1};
    default: return std::nullopt;
  }
}

// Step i of a boot sequence (wsman::boot_sequence). The next step is queued only once this one
// succeeded, so a step Intel AMT refuses never leads on to the power change at the end.
Op boot_step(std::shared_ptr<std::vector<wsman::Request>> steps, std::size_t i, std::shared_ptr<std::string> why,
             std::function<Op(wsman::Request)> power_change) {
  wsman::Request& r = (*steps)[i];
  if (i + 1 == steps->size()) return power_change(std::move(r));
  const std::string method(r.method());  // empty for the Put of the settings
  Op op = single(std::move(r), [why, method](const Response& resp) {
    if (method.empty()) return;
    auto v = wsman::read_return_value(resp, method);  // ChangeBootOrder, SetBootConfigRole: 0 is success
    if (!v || *v != 0) *why = method + " returned " + (v ? std::to_string(*v) : "no value");
  });
  op.then = [steps, i, why, power_change](std::deque<Op>& rest) {
    if (why->empty()) rest.push_front(boot_step(steps, i + 1, why, power_change));
  };
  return op;
}

Json part(std::string_view manufacturer, std::string_view model, std::string_view serial, std::string_view version) {
  return {{"manufacturer", manufacturer}, {"model", model}, {"serial", serial}, {"version", version}};
}

}  // namespace

int meshcentral_power(wsman::PowerState state) {
  using P = wsman::PowerState;
  switch (state) {
    case P::kOn: return accounts::power::kOn;
    case P::kSleepLight: return 2;
    case P::kSleepDeep: return 4;
    case P::kHibernate: return 5;
    case P::kOffSoft:
    case P::kOffHard:
    case P::kOffSoftGraceful:
    case P::kOffHardGraceful: return accounts::power::kSoftOff;
    default: return accounts::power::kUnknown;
  }
}

std::string power_action_name(int s) {
  switch (s) {
    case 2: return "Power on";
    case 4: return "Sleep";
    case 5: return "Power cycle";
    case 7: return "Hibernate";
    case 8: return "Power off";
    case 10: return "Reset";
    case 11: return "Power on to BIOS setup";
    case 12: return "Reset to BIOS setup";
    case 13: return "Power on to BIOS setup with SOL";
    case 14: return "Reset to BIOS setup with SOL";
    case 15: return "Power on to PXE boot";
    case 16: return "Reset to PXE boot";
    case 17: return "Power on to IDE-R floppy";
    case 18: return "Reset to IDE-R floppy";
    case 19: return "Power on to IDE-R CD-ROM";
    case 20: return "Reset to IDE-R CD-ROM";
    default: return "Power action " + std::to_string(s);
  }
}

AmtManager::AmtManager(asio::io_context& ioc, ServerContext& ctx, MpsServer* mps)
    : ioc_(ioc), ctx_(ctx), mps_(mps), poll_strand_(asio::make_strand(ioc)) {}

// [SECTION] LAN polling

void AmtManager::start_lan_polling(std::chrono::seconds interval) {
  poll_interval_ = std::max(interval, std::chrono::seconds(1));
  poll_timer_ = std::make_unique<asio::steady_timer>(poll_strand_);
  poll_timer_->expires_after(std::chrono::seconds(1));
  poll_timer_->async_wait([this](beast::error_code ec) {
    if (!ec) poll_round();
  });
}

void AmtManager::poll_round() {
  auto next_round = [this] {
    // Every known LAN device not already being checked nor connected by CIRA.
    for (const auto& id : lan_nodes_) {
      if (!polling_.count(id) && !(mps_ && mps_->find(id))) poll_queue_.push_back(id);
    }
    poll_next();
    poll_timer_->expires_after(poll_interval_);
    poll_timer_->async_wait([this](beast::error_code ec) {
      if (!ec) poll_round();
    });
  };
  if (lan_scanned_) return next_round();
  // The first round finds the LAN devices already recorded (added before this start, imported).
  std::vector<std::string> domains;
  for (const auto& d : ctx_.settings.domains) domains.push_back(d.id);
  ctx_.async_db->run(
      poll_strand_,
      [domains](store::Store& s) {
        std::vector<std::string> out;
        for (const auto& d : domains) {
          auto nodes = s.list("node", d);
          if (!nodes) continue;
          for (const auto& n : nodes.value()) {
            if (!lan_target(n).host.empty()) out.push_back(n.value("_id", ""));
          }
        }
        return out;
      },
      [this, next_round](std::vector<std::string> ids) {
        lan_scanned_ = true;
        lan_nodes_.insert(ids.begin(), ids.end());
        next_round();
      });
}

void AmtManager::note_lan_device(const std::string& nodeid) {
  asio::post(poll_strand_, [this, nodeid] { lan_nodes_.insert(nodeid); });
}

void AmtManager::poll_next() {
  while (polling_.size() < kMaxPolls && !poll_queue_.empty()) {
    std::string id = std::move(poll_queue_.front());
    poll_queue_.pop_front();
    if (polling_.insert(id).second) poll_one(id);
  }
}

void AmtManager::poll_one(const std::string& nodeid) {
  struct Check {
    bool lan = false;  // still a LAN device
    std::string meshid;
    LanTarget target;
    std::optional<AmtCredentials> credentials;
  };
  auto finish = [this, nodeid](bool keep) {
    asio::post(poll_strand_, [this, nodeid, keep] {
      polling_.erase(nodeid);
      if (!keep) lan_nodes_.erase(nodeid);
      poll_next();
    });
  };
  // The record as it is now (its address may have been edited), and its credentials.
  ctx_.async_db->run(
      ioc_.get_executor(),
      [nodeid, key = ctx_.amt_key](store::Store& s) {
        Check c;
        auto n = s.get(nodeid);
        if (!n || !n.value()) return c;
        c.target = lan_target(*n.value());
        c.lan = !c.target.host.empty();
        c.meshid = n.value()->value("meshid", "");
        if (auto cr = load_credentials(s, nodeid, key); cr && *cr) c.credentials = **cr;
        return c;
      },
      [this, nodeid, finish](Check c) {
        if (!c.lan) return finish(false);          // deleted, or no longer on the LAN
        if (!c.credentials) return finish(true);  // nothing to check with (yet)
        auto inv = std::make_shared<Inventory>();
        std::deque<Op> ops;
        ops.push_back(read_power(inv));
        WsmanChannel::start(make_tcp_link(ioc_.get_executor(), nodeid, c.target, cert_sink()), *c.credentials, std::move(ops),
                            [this, nodeid, meshid = c.meshid, inv, finish](std::optional<Error> err) {
                              if (!err) {
                                report_power(nodeid, meshid, true, inv->power);
                              } else if (err->code == "amt-channel-refused") {
                                // Unreachable: offline (logged only when it changes, as a presence event).
                                lan_presence(nodeid, meshid, false, 0);
                              } else {
                                failed(nodeid, "check", *err);
                              }
                              finish(true);
                            });
      });
}

void AmtManager::device_ready(std::shared_ptr<CiraLink> link) {
  const std::string nodeid = link->nodeid();
  inventory(std::move(link), nodeid, false);
}

void AmtManager::run(const accounts::AmtJob& job, Reply reply, bool may_forward) {
  auto go = [this, job, reply](std::shared_ptr<CiraLink> link, bool lan) {
    if (job.kind == accounts::AmtJob::Kind::kInventory) return inventory(std::move(link), job.nodeid, lan);
    if (job.kind == accounts::AmtJob::Kind::kRead) return read(std::move(link), job, lan, reply);
    power(std::move(link), job, lan);
  };
  if (auto link = mps_ ? mps_->find(job.nodeid) : nullptr) return go(std::move(link), false);
  // Connected by CIRA to a peer server: that server does it.
  if (may_forward && forwarder_ && forwarder_(job, reply)) return;
  // Not connected by CIRA: a device added on the LAN is reached by TCP at intelamt.host.
  ctx_.async_db->run(
      ioc_.get_executor(),
      [nodeid = job.nodeid](store::Store& s) -> LanTarget {
        auto n = s.get(nodeid);
        if (!n || !n.value()) return {};
        return lan_target(*n.value());
      },
      [this, job, go, reply](LanTarget where) {
        if (where.host.empty()) {
          if (reply) reply(read_answer(job, "The device is not connected"));
          logger("amt")->info("{}: not connected; {} not carried out", job.nodeid,
                              job.kind == accounts::AmtJob::Kind::kPower ? power_action_name(job.power_state)
                              : job.kind == accounts::AmtJob::Kind::kRead ? job.what
                                                                           : "inventory");
          return;
        }
        if (poll_timer_) note_lan_device(job.nodeid);
        go(make_tcp_link(ioc_.get_executor(), job.nodeid, std::move(where), cert_sink()), true);
      });
}

CertSink AmtManager::cert_sink() {
  return [this](const std::string& nodeid, const std::string& sha384, bool accepted) { certificate_seen(nodeid, sha384, accepted); };
}

// A LAN device's TLS certificate: pinned when first seen (intelamt.hash), or a mismatch recorded
// on the device (MeshCentral's warn bit 4, "TLS certificate mismatch") with an event.
void AmtManager::certificate_seen(const std::string& nodeid, const std::string& sha384, bool accepted) {
  ctx_.async_db->run(
      ioc_.get_executor(),
      [nodeid, sha384, accepted](store::Store& s) {
        accounts::Outcome out;
        auto got = s.get(nodeid);
        if (!got || !got.value()) return out;
        Json n = *got.value();
        if (!n.contains("intelamt") || !n["intelamt"].is_object()) return out;
        Json& a = n["intelamt"];
        const std::string name = n.value("name", "");
        if (accepted) {
          if (accounts::text_of(a, "hash") == sha384) return out;
          a["hash"] = sha384;
          if (!s.put(n)) return out;
          accounts::record_node_change(s, out, n, "Intel AMT TLS certificate of " + name + " pinned (SHA-384 " + sha384.substr(0, 16) + "...)");
        } else {
          const int warn = a.contains("warn") && a["warn"].is_number_integer() ? a["warn"].get<int>() : 0;
          if (warn & 4) return out;
          a["warn"] = warn | 4;
          if (!s.put(n)) return out;
          accounts::record_node_change(s, out, n,
                                       "Intel AMT TLS certificate of " + name + " changed (SHA-384 " + sha384.substr(0, 16) +
                                           "...): connections refused until its Intel AMT settings are saved again");
        }
        return out;
      },
      [this, nodeid](accounts::Outcome out) { ctx_.accounts->bus().dispatch_all(accounts::domain_of(nodeid), out.events); });
}

void AmtManager::lan_presence(const std::string& nodeid, const std::string& meshid, bool present, int pwr) {
  auto& table = ctx_.accounts->presence();
  const auto before = table.get(nodeid);
  const int old_power = before ? before->pwr : 0;
  if (present) {
    auto st = table.connect(nodeid, meshid, accounts::conn_bit::kAmtLan, pwr, store::now_ms());
    if (!before || before->conn != st.conn || before->pwr != st.pwr) announce_presence(ctx_, nodeid, st, old_power);
  } else if (before && (before->conn & accounts::conn_bit::kAmtLan)) {
    auto st = table.disconnect(nodeid, accounts::conn_bit::kAmtLan);
    if (st.meshid.empty()) st.meshid = before->meshid;
    announce_presence(ctx_, nodeid, st, old_power);
  }
}

void AmtManager::report_power(const std::string& nodeid, const std::string& meshid, bool lan,
                              std::optional<wsman::PowerState> state) {
  const int pwr = state ? meshcentral_power(*state) : accounts::power::kUnknown;
  if (lan) return lan_presence(nodeid, meshid, true, pwr);
  if (!state) return;
  const auto before = ctx_.accounts->presence().get(nodeid);
  if (auto st = ctx_.accounts->presence().set_power(nodeid, pwr)) announce_presence(ctx_, nodeid, *st, before ? before->pwr : 0);
}

void AmtManager::run_script(std::shared_ptr<CiraLink> link, const AmtCredentials& c, std::deque<Op> ops,
                            const std::string& nodeid, const std::string& what, bool lan, std::function<void()> done,
                            std::function<void(const Error&)> on_error) {
  WsmanChannel::start(std::move(link), c, std::move(ops),
                      [this, nodeid, what, lan, done = std::move(done), on_error = std::move(on_error)](std::optional<Error> err) {
                        if (!err) return done();
                        if (lan && err->code == "amt-channel-refused") lan_presence(nodeid, "", false, 0);
                        failed(nodeid, what, *err);
                        if (on_error) on_error(*err);
                      });
}

void AmtManager::inventory(std::shared_ptr<CiraLink> link, const std::string& nodeid, bool lan) {
  ctx_.async_db->run(
      ioc_.get_executor(),
      [nodeid, key = ctx_.amt_key](store::Store& s) { return load_credentials(s, nodeid, key); },
      [this, link, nodeid, lan](mw::Result<std::optional<AmtCredentials>> c) {
        if (!c) return failed(nodeid, "inventory", c.error());
        if (!*c) {
          logger("amt")->info("{}: no Intel AMT credentials yet (set them on the device's page)", nodeid);
          return;
        }
        auto inv = std::make_shared<Inventory>();
        std::deque<Op> ops;
        ops.push_back(single(wsman::get_request<wsman::GeneralSettings>(), [inv](const Response& r) {
          if (auto gs = wsman::read_response<wsman::GeneralSettings>(r)) inv->settings = *gs;
        }));
        ops.push_back(enumerate(wsman::enumeration<wsman::SoftwareIdentity>(), [inv](std::vector<Instance> items) {
          if (auto ids = wsman::read_items<wsman::SoftwareIdentity>(items)) inv->version = wsman::amt_version(*ids);
        }));
        ops.push_back(read_power(inv));
        run_script(link, **c, std::move(ops), nodeid, "inventory", lan, [this, nodeid, user = (*c)->user, inv, lan] {
          counters_.inventories.fetch_add(1, std::memory_order_relaxed);
          ctx_.async_db->run(
              ioc_.get_executor(),
              [nodeid, user, inv](store::Store& s) {
                accounts::Outcome out;
                auto got = s.get(nodeid);
                if (!got || !got.value()) return out;
                Json n = *got.value();
                inv->meshid = n.value("meshid", "");
                if (!n.contains("intelamt") || !n["intelamt"].is_object()) n["intelamt"] = Json::object();
                Json& a = n["intelamt"];
                const Json before = n;
                a["state"] = 2;
                a["user"] = user;
                a.erase("warn");
                if (!inv->version.empty()) a["ver"] = inv->version;
                if (inv->settings) {
                  a["realm"] = inv->settings->digest_realm;
                  std::string fqdn = inv->settings->host_name;
                  if (!fqdn.empty() && !inv->settings->domain_name.empty()) fqdn += "." + inv->settings->domain_name;
                  if (!fqdn.empty()) {
                    a["hostname"] = fqdn;
                    // A device still named after its address takes the name Intel AMT knows it by.
                    if (n.value("name", "") == n.value("host", "") || n.value("name", "").empty()) n["name"] = inv->settings->host_name;
                  }
                }
                if (n == before) return out;
                if (!s.put(n)) return out;
                accounts::record_node_change(s, out, n, "Intel AMT " + inv->version + " of " + n.value("name", "") + " read");
                return out;
              },
              [this, nodeid, inv, lan](accounts::Outcome out) {
                ctx_.accounts->bus().dispatch_all(accounts::domain_of(nodeid), out.events);
                report_power(nodeid, inv->meshid, lan, inv->power);
                logger("amt")->info("{}: Intel AMT {} read{}", nodeid, inv->version,
                                    inv->power ? ", power " + std::string(wsman::power_state_name(*inv->power)) : "");
              });
        });
      });
}

void AmtManager::power(std::shared_ptr<CiraLink> link, const accounts::AmtJob& job, bool lan) {
  ctx_.async_db->run(
      ioc_.get_executor(),
      [nodeid = job.nodeid, key = ctx_.amt_key](store::Store& s) { return load_credentials(s, nodeid, key); },
      [this, link, job, lan](mw::Result<std::optional<AmtCredentials>> c) {
        if (!c) return failed(job.nodeid, power_action_name(job.power_state), c.error());
        if (!*c) {
          return failed(job.nodeid, power_action_name(job.power_state),
                        make_error("amt-no-credentials", "the device has no Intel AMT credentials"));
        }
        auto inv = std::make_shared<Inventory>();
        auto rv = std::make_shared<std::optional<std::uint32_t>>();
        auto why = std::make_shared<std::string>();  // a boot option Intel AMT refused
        std::deque<Op> ops;
        auto power_change = [rv](wsman::Request r) {
          return single(std::move(r), [rv](const Response& resp) {
            if (auto v = wsman::read_return_value(resp, "RequestPowerStateChange")) *rv = *v;
          });
        };
        if (const auto plan = boot_plan(job.power_state)) {
          // Boot options first (wsman.md 4.3): read what the firmware can do and its settings, then
          // clear the boot order, Put the settings, arm them for one boot, force the source, and
          // power on or reset.
          auto caps = std::make_shared<std::optional<wsman::BootCapabilities>>();
          auto settings = std::make_shared<std::optional<wsman::BootSettingData>>();
          ops.push_back(single(wsman::get_request<wsman::BootCapabilities>(), [caps](const Response& r) {
            if (auto v = wsman::read_response<wsman::BootCapabilities>(r)) *caps = *v;
          }));
          ops.push_back(single(wsman::get_request<wsman::BootSettingData>(), [settings](const Response& r) {
            if (auto v = wsman::read_response<wsman::BootSettingData>(r)) *settings = *v;
          }));
          ops.back().then = [caps, settings, plan, why, power_change](std::deque<Op>& rest) {
            if (!*caps || !*settings) {
              *why = "its boot settings could not be read";
              return;
            }
            const bool can = plan->ider >= 0                                  ? (*caps)->ider
                             : plan->target == wsman::BootTarget::kBiosSetup ? (*caps)->bios_setup
                                                                             : (*caps)->force_pxe_boot;
            if (!can) {
              *why = plan->ider >= 0                                  ? "it cannot boot from IDE-R"
                     : plan->target == wsman::BootTarget::kBiosSetup ? "it cannot boot to BIOS setup"
                                                                     : "it cannot force a PXE boot";
              return;
            }
            auto steps = std::make_shared<std::vector<wsman::Request>>(
                plan->ider >= 0 ? wsman::ider_boot_sequence(**settings, plan->ider == 1, plan->use_sol, plan->reset)
                                : wsman::boot_sequence(**settings, plan->target, plan->use_sol, plan->reset));
            rest.push_front(boot_step(std::move(steps), 0, why, power_change));
          };
        } else {
          ops.push_back(power_change(wsman::request_power_state_change(static_cast<wsman::PowerState>(job.power_state))));
        }
        ops.push_back(read_power(inv));
        run_script(link, **c, std::move(ops), job.nodeid, power_action_name(job.power_state), lan, [this, job, inv, rv, why, lan] {
          const bool ok = rv->has_value() && **rv == 0 && why->empty();
          if (ok) counters_.power_actions.fetch_add(1, std::memory_order_relaxed);
          ctx_.async_db->run(
              ioc_.get_executor(),
              [job, ok, code = rv->value_or(0xFFFFFFFFu), why = *why](store::Store& s) {
                accounts::Outcome out;
                auto got = s.get(job.nodeid);
                const std::string name = got && got.value() ? got.value()->value("name", "") : job.nodeid;
                Json ev{{"etype", "node"},
                        {"action", "amtpoweraction"},
                        {"nodeid", job.nodeid},
                        {"meshid", job.meshid},
                        {"userid", job.userid},
                        {"username", job.username},
                        {"actiontype", 300 + job.power_state},
                        {"msg", ok ? "Intel AMT " + power_action_name(job.power_state) + " of " + name
                                : !why.empty() ? "Intel AMT refused " + power_action_name(job.power_state) + " of " + name + ": " + why
                                               : "Intel AMT refused " + power_action_name(job.power_state) + " of " + name +
                                                     " (return value " + std::to_string(code) + ")"},
                        {"domain", accounts::domain_of(job.nodeid)}};
                accounts::record_event(s, out, {"*", job.meshid, job.nodeid, job.userid}, std::move(ev));
                return out;
              },
              [this, job, inv, lan](accounts::Outcome out) {
                ctx_.accounts->bus().dispatch_all(accounts::domain_of(job.nodeid), out.events);
                report_power(job.nodeid, job.meshid, lan, inv->power);
              });
        });
      });
}

Json AmtManager::read_answer(const accounts::AmtJob& job, const std::string& result) {
  Json a{{"action", "amtinfo"}, {"nodeid", job.nodeid}, {"what", job.what}, {"result", result}};
  if (!job.responseid.is_null()) a["responseid"] = job.responseid;
  return a;
}

void AmtManager::read(std::shared_ptr<CiraLink> link, const accounts::AmtJob& job, bool lan, Reply reply) {
  if (!reply) reply = [](Json) {};
  ctx_.async_db->run(
      ioc_.get_executor(),
      [nodeid = job.nodeid, key = ctx_.amt_key](store::Store& s) { return load_credentials(s, nodeid, key); },
      [this, link, job, lan, reply](mw::Result<std::optional<AmtCredentials>> c) {
        if (!c) return reply(read_answer(job, c.error().message));
        if (!*c) return reply(read_answer(job, "No Intel AMT credentials are stored for this device"));
        std::deque<Op> ops;
        auto answer = std::make_shared<Json>(read_answer(job, "ok"));
        auto logs = std::make_shared<LogRead>();
        if (job.what == "hardware") {
          (*answer)["hardware"] = Json::object();
          ops.push_back(single(wsman::get_request<wsman::ComputerSystemPackage>(), [answer](const Response& r) {
            if (auto v = wsman::read_response<wsman::ComputerSystemPackage>(r)) (*answer)["hardware"]["platformGuid"] = v->platform_guid;
          }));
          ops.push_back(single(wsman::get_request<wsman::Chassis>(), [answer](const Response& r) {
            if (auto v = wsman::read_response<wsman::Chassis>(r)) {
              (*answer)["hardware"]["chassis"] = part(v->manufacturer, v->model, v->serial_number, v->version);
            }
          }));
          ops.push_back(single(wsman::get_request<wsman::Card>(), [answer](const Response& r) {
            if (auto v = wsman::read_response<wsman::Card>(r)) {
              (*answer)["hardware"]["baseboard"] = part(v->manufacturer, v->model, v->serial_number, v->version);
            }
          }));
          ops.push_back(single(wsman::get_request<wsman::BiosElement>(), [answer](const Response& r) {
            if (auto v = wsman::read_response<wsman::BiosElement>(r)) {
              (*answer)["hardware"]["bios"] = {{"manufacturer", v->manufacturer}, {"version", v->version}, {"releaseDate", v->release_date}};
            }
          }));
          ops.push_back(enumerate(wsman::enumeration<wsman::Processor>(), [answer](std::vector<Instance> items) {
            Json list = Json::array();
            if (auto v = wsman::read_items<wsman::Processor>(items)) {
              for (const auto& p : *v) {
                list.push_back({{"id", p.device_id}, {"maxClockSpeed", p.max_clock_speed}, {"currentClockSpeed", p.current_clock_speed},
                                {"family", p.family}, {"stepping", p.stepping}, {"status", p.cpu_status}});
              }
            }
            (*answer)["hardware"]["processors"] = std::move(list);
          }));
          ops.push_back(enumerate(wsman::enumeration<wsman::PhysicalMemory>(), [answer](std::vector<Instance> items) {
            Json list = Json::array();
            if (auto v = wsman::read_items<wsman::PhysicalMemory>(items)) {
              for (const auto& m : *v) {
                list.push_back({{"bank", m.bank_label}, {"capacity", m.capacity}, {"speed", m.speed}, {"manufacturer", m.manufacturer},
                                {"partNumber", m.part_number}, {"serial", m.serial_number}, {"formFactor", m.form_factor},
                                {"memoryType", m.memory_type}});
              }
            }
            (*answer)["hardware"]["memory"] = std::move(list);
          }));
        } else if (job.what == "auditlog") {
          ops.push_back(audit_page(logs, 1));
        } else {
          ops.push_back(single(wsman::message_log_position_to_first_record(), [logs](const Response& r) {
            auto id = wsman::read_iteration_identifier(r);
            if (!id) {
              logs->error = id.error().message;
              return;
            }
            logs->iteration = *id;
            logs->more = true;
          }));
          ops.back().then = [logs](std::deque<Op>& rest) {
            if (logs->more) rest.push_front(event_page(logs));
          };
        }
        run_script(
            link, **c, std::move(ops), job.nodeid, "reading the " + job.what, lan,
            [job, answer, logs, reply] {
              Json& a = *answer;
              if (!logs->error.empty()) a["result"] = logs->error;
              if (job.what == "auditlog") {
                Json list = Json::array();
                for (auto it = logs->audit.rbegin(); it != logs->audit.rend(); ++it) {  // newest first
                  list.push_back({{"time", it->timestamp},
                                  {"appId", it->app_id},
                                  {"eventId", it->event_id},
                                  {"app", wsman::audit_app_name(it->app_id)},
                                  {"event", wsman::audit_event_name(it->app_id, it->event_id)},
                                  {"initiator", it->initiator_type == wsman::AuditInitiatorType::kHttpDigest ? it->initiator
                                                : it->initiator_type == wsman::AuditInitiatorType::kLocal ? "Local"
                                                                                                           : "Kerberos user"},
                                  {"address", it->net_address}});
                }
                a["audit"] = std::move(list);
              } else if (job.what == "eventlog") {
                Json list = Json::array();
                for (const auto& e : logs->events) {  // AMT gives them newest first
                  list.push_back({{"time", e.timestamp},
                                  {"entity", wsman::event_entity_name(e.entity)},
                                  {"description", wsman::event_description(e)},
                                  {"severity", wsman::event_severity_name(e.event_severity)}});
                }
                a["events"] = std::move(list);
              }
              reply(std::move(a));
            },
            [job, reply](const Error& e) { reply(read_answer(job, e.message)); });
      });
}

void AmtManager::failed(const std::string& nodeid, const std::string& what, const Error& error) {
  counters_.failures.fetch_add(1, std::memory_order_relaxed);
  logger("amt")->warn("{}: {} failed: {}", nodeid, what, error.message);
  if (error.code != "wsman-unauthorized") return;
  // Wrong credentials: the device record says so (MeshCentral's warn bit 1), and an event.
  ctx_.async_db->run(
      ioc_.get_executor(),
      [nodeid](store::Store& s) {
        accounts::Outcome out;
        auto got = s.get(nodeid);
        if (!got || !got.value()) return out;
        Json n = *got.value();
        if (!n.contains("intelamt") || !n["intelamt"].is_object()) n["intelamt"] = Json::object();
        if (n["intelamt"].value("warn", 0) == 1) return out;
        n["intelamt"]["warn"] = 1;
        if (!s.put(n)) return out;
        accounts::record_node_change(s, out, n, "Intel AMT refused the credentials of " + n.value("name", ""));
        return out;
      },
      [this, nodeid](accounts::Outcome out) { ctx_.accounts->bus().dispatch_all(accounts::domain_of(nodeid), out.events); });
}

}  // namespace mw::server::amt
