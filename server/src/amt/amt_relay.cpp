// Intel AMT redirection relay (amt_relay.hpp): WebSocket ⇄ shared/redir ClientSession ⇄ APF channel.
#include "amt/amt_relay.hpp"

#include "tls_stream.hpp"
#include "accounts/relay_rights.hpp"

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <deque>

#include "accounts/live_events.hpp"
#include "accounts/model.hpp"
#include "accounts/rights.hpp"
#include "accounts/service.hpp"
#include "amt/amt_manager.hpp"
#include "amt/ider_images.hpp"
#include "amt/credentials.hpp"
#include "amt/mps_server.hpp"
#include "agents/mesh_relay.hpp"
#include "amt/tcp_link.hpp"
#include "peers/peering.hpp"
#include "auth/random.hpp"
#include "control_session.hpp"
#include "files/server_files.hpp"
#include "log.hpp"
#include "mw/ider/session.hpp"
#include "mw/redir/session.hpp"
#include "mw/rfb/input_filter.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/md5.hpp"
#include "store/records.hpp"

namespace mw::server::amt {

namespace {

using Json = nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kMaxBrowserQueue = 1u << 20;  // bytes waiting for the browser before the device is stalled
constexpr std::size_t kMaxMessage = 64 * 1024;      // largest message a browser may send

// What the store says about the request: the device, whether the user may open this relay, and
// the device's credentials.
struct Grant {
  std::string error;  // for the person, when refused
  std::string username, meshid, device_name;
  LanTarget lan;  // intelamt.host (a device added on the LAN), uuid, tls, hash
  std::optional<AmtCredentials> credentials;
  bool view_only = false;      // KVM: the viewer's input is filtered out (rfb::InputFilter)
  bool limited_input = false;  // KVM: only the pointer and a few keys pass (rfb::InputFilter)
  std::filesystem::path files;  // IDE-R: the user's storage, where the images come from
};

enum class Mode { kSol, kKvm, kIder };

Grant check_grant(store::Store& s, const std::string& userid, const std::string& nodeid, Mode mode,
                  const std::vector<std::uint8_t>& key, const DomainSettings& domain, const std::filesystem::path& filespath) {
  using namespace accounts;
  Grant g;
  auto user = s.get(userid);
  auto node = s.get(nodeid);
  if (!user || !user.value() || !node || !node.value() || node.value()->value("type", "") != "node") {
    g.error = "Device not found.";
    return g;
  }
  g.username = user.value()->value("name", "");
  g.meshid = node.value()->value("meshid", "");
  g.device_name = node.value()->value("name", "");
  g.lan = lan_target(*node.value());
  const std::uint32_t r = mesh_rights(*user.value(), g.meshid);
  if (r == 0) {
    g.error = "Device not found.";  // a device of a group the user cannot see does not exist for them
    return g;
  }
  const auto right = relay_right(r, mode == Mode::kKvm    ? RelayKind::kAmtKvm
                                    : mode == Mode::kIder ? RelayKind::kAmtIder
                                                          : RelayKind::kAmtSol);
  if (!right.allowed) {
    g.error = "Access denied: this needs the remote control right on the device's group.";
    return g;
  }
  g.view_only = right.view_only;
  g.limited_input = right.limited_input;
  auto c = load_credentials(s, nodeid, key);
  if (!c) {
    g.error = c.error().message;
    return g;
  }
  if (!c.value()) {
    g.error = "The device has no Intel AMT credentials.";
    return g;
  }
  g.credentials = *c.value();
  if (mode == Mode::kIder) {  // the images are the user's own files on the server (as MeshCentral's)
    auto st = files::check_store(s, domain, filespath, userid, userid);
    if (!st.error.empty()) {
      g.error = "IDE-R serves disk images from your files on the server: " + st.error;
      return g;
    }
    g.files = st.folder;
  }
  return g;
}

template <class NextLayer>
class AmtRelay : public std::enable_shared_from_this<AmtRelay<NextLayer>> {
 public:
  AmtRelay(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info)
      : ws_(std::move(stream)), ctx_(ctx), peer_(std::move(peer)), client_ip_(info.client_ip), domain_(*info.domain),
        timer_(ws_.get_executor()) {}
  // For a peer server's browser (peers/peering.hpp): its WebSocket to this server is open and the
  // peer has authenticated its user; the rights are checked here again all the same.
  AmtRelay(websocket::stream<NextLayer> ws, const ServerContext& ctx, std::string peer, const DomainSettings& domain)
      : ws_(std::move(ws)), ctx_(ctx), peer_(std::move(peer)), client_ip_(peer_), domain_(domain), timer_(ws_.get_executor()),
        for_peer_(true) {}

  void run_for_peer(std::string nodeid, const std::string& p, std::string userid) {
    nodeid_ = std::move(nodeid);
    set_mode(p);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(kMaxMessage);
    ws_.auto_fragment(false);
    ws_.binary(true);
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), uid = std::move(userid)]() mutable {
      if (!self->valid_mode_) return self->end("Unknown relay type: p must be sol, kvm or ider.");
      self->on_user(std::move(uid));
    });
  }

  void run(http::request<http::string_body> upgrade) {
    creds_ = WebSocketCredentials::from(upgrade);
    nodeid_ = query_param(upgrade.target(), "nodeid");
    if (nodeid_.find('/') == std::string::npos) nodeid_ = "node/" + domain_.id + "/" + nodeid_;
    set_mode(query_param(upgrade.target(), "p"));
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(kMaxMessage);
    // One frame per message: Beast would otherwise cut every message into 4 KB frames, each its
    // own TLS write and system call (a 200 KB "nodes" answer took 50).
    ws_.auto_fragment(false);
    ws_.binary(true);
    auto req = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
    ws_.async_accept(*req, [self = this->shared_from_this(), req](beast::error_code ec) {
      if (ec) return;
      self->authenticate();
    });
  }

 private:
  // [SECTION] Setup
  void set_mode(const std::string& p) {
    mode_ = p == "kvm" ? Mode::kKvm : p == "ider" ? Mode::kIder : Mode::kSol;
    kvm_ = mode_ == Mode::kKvm;
    valid_mode_ = p == "sol" || p == "kvm" || p == "ider";
  }
  void authenticate() {
    if (!valid_mode_) return end("Unknown relay type: p must be sol, kvm or ider.");
    auto creds = std::move(creds_);
    authenticate_websocket(
        ctx_, ws_.get_executor(), domain_, client_ip_, std::move(creds),
        [self = this->shared_from_this()](std::string uid) { self->on_user(std::move(uid)); },
        [self = this->shared_from_this()](std::string reason) { self->end(reason); });
  }

  void on_user(std::string userid) {
    userid_ = std::move(userid);
    ctx_.async_db->run(
        ws_.get_executor(),
        [uid = userid_, nid = nodeid_, mode = mode_, key = ctx_.amt_key, d = &domain_, fp = ctx_.settings.filespath](store::Store& s) {
          return check_grant(s, uid, nid, mode, key, *d, fp);
        },
        [self = this->shared_from_this()](Grant g) { self->on_grant(std::move(g)); });
  }

  void on_grant(Grant g) {
    if (!g.error.empty()) {
      logger("amt")->info("{} relay to {} refused for {}: {}", peer_, nodeid_, userid_, g.error);
      return end(g.error);
    }
    grant_ = std::move(g);
    // Connected by CIRA to a peer server: the session runs there (its MPS holds the device), this
    // server only carries the bytes between the browser and it.
    if (!for_peer_ && ctx_.peering && !(ctx_.mps && ctx_.mps->find(nodeid_))) {
      std::string server = ctx_.accounts->presence().remote_server_of(nodeid_, accounts::conn_bit::kCira);
      if (!server.empty()) return hand_to_peer(server);
    }
    if (kvm_ && grant_.view_only) filter_.emplace(rfb::InputFilter::Mode::kViewOnly);
    if (kvm_ && grant_.limited_input) filter_.emplace(rfb::InputFilter::Mode::kLimitedInput);
    if (mode_ == Mode::kIder) return offer_images();
    open_redirection();
  }

  void hand_to_peer(const std::string& server) {
    const std::string id = auth::random_hex(16);
    const char* p = mode_ == Mode::kKvm ? "kvm" : mode_ == Mode::kIder ? "ider" : "sol";
    logger("amt")->info("{} {} relay to {} for {} through peer server {}", peer_, p, nodeid_, userid_, server);
    closed_ = true;  // the socket is the pipe's from here
    if (agents::join_peer_relay(std::move(ws_), ctx_, peer_, domain_, id, false, "amtrelay")) {
      ctx_.peering->open_amt_relay(server, id, nodeid_, p, userid_);
    }
  }

  // Finds the device's link (CIRA, else TCP to its LAN address) and opens the redirection port.
  void open_redirection() {
    link_ = ctx_.mps ? ctx_.mps->find(nodeid_) : nullptr;
    if (!link_ && !grant_.lan.host.empty()) {
      link_ = make_tcp_link(ws_.get_executor(), nodeid_, grant_.lan, ctx_.amt ? ctx_.amt->cert_sink() : CertSink{});
    }
    if (!link_) return end("The device is not connected to the server (CIRA).");
    redir::ClientConfig c;
    c.type = kvm_ ? redir::SessionType::kKvm : mode_ == Mode::kIder ? redir::SessionType::kIder : redir::SessionType::kSol;
    c.username = grant_.credentials->user;
    c.password = grant_.credentials->pass;
    c.md5_hex = [](std::string_view s) { return util::hex_encode(util::md5(s)); };
    c.make_cnonce = [] { return auth::random_hex(16); };
    session_.emplace(std::move(c));
    started_ms_ = store::now_ms();
    link_->open_channel(16994, std::make_shared<Bridge>(this->shared_from_this()));
  }

  // The APF channel's user: hands every callback to the relay's strand.
  struct Bridge : ChannelUser {
    explicit Bridge(std::shared_ptr<AmtRelay> r) : relay(std::move(r)) {}
    void on_open(bool ok, std::uint32_t channel) override {
      asio::post(relay->ws_.get_executor(), [r = relay, ok, channel] { r->on_channel_open(ok, channel); });
    }
    void on_data(std::span<const std::uint8_t> data) override {
      asio::post(relay->ws_.get_executor(), [r = relay, d = Bytes(data.begin(), data.end())] { r->on_device_bytes(d); });
    }
    void on_closed() override {
      asio::post(relay->ws_.get_executor(), [r = relay] { r->on_channel_closed(); });
    }
    void on_drained() override {
      asio::post(relay->ws_.get_executor(), [r = relay] { r->on_drained(); });
    }
    std::shared_ptr<AmtRelay> relay;
  };

  void on_channel_open(bool ok, std::uint32_t channel) {
    if (!ok) return end("Intel AMT refused a channel to its redirection port.");
    channel_ = channel;
    channel_open_ = true;
    if (closed_) {
      link_->close_channel(channel_);
      channel_open_ = false;
      return;
    }
    handle(session_->start());
    tick();
    do_read();
  }

  // [SECTION] IDE-R
  // The images the user may serve, then the browser's choice:
  //   → {"action":"amtider","state":"images","images":[{"path","size","drive":"cdrom"|"floppy"}]}
  //   ← {"action":"start","cdrom":PATH,"floppy":PATH,"start":0|1|2}  (0 next boot, 1 graceful, 2 now)
  // Then the redirection session; its progress as {"action":"amtider","state":...} (ider_progress).
  void offer_images() {
    run_file_io([folder = grant_.files] { return list_images(folder); },
                [self = this->shared_from_this()](std::vector<ImageEntry> images) {
                  if (self->closed_) return;
                  Json list = Json::array();
                  for (const auto& i : images) {
                    list.push_back({{"path", i.path}, {"size", i.size}, {"drive", i.drive == ider::Drive::kCdrom ? "cdrom" : "floppy"}});
                  }
                  self->send_text(Json{{"action", "amtider"}, {"state", "images"}, {"images", std::move(list)}}.dump());
                  self->do_read();
                });
  }

  // Runs `work` on the file I/O pool (disk work never runs on an I/O thread), then `done` with its
  // result on the relay's strand.
  template <class Work, class Done>
  void run_file_io(Work work, Done done) {
    auto ex = ws_.get_executor();
    if (!ctx_.file_io) {
      done(work());
      return;
    }
    asio::post(*ctx_.file_io, [work = std::move(work), done = std::move(done), ex]() mutable {
      auto r = work();
      asio::post(ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    });
  }

  void on_ider_text(std::string_view text) {
    auto j = Json::parse(text, nullptr, false);
    if (!j.is_object() || j.value("action", "") != "start" || ider_requested_) return;
    const auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
    const std::string cdrom = str("cdrom"), floppy = str("floppy");
    const int start = j.contains("start") && j["start"].is_number_integer() ? j["start"].get<int>() : 0;
    if (start < 0 || start > 2) return end("IDE-R start must be 0 (next boot), 1 (graceful) or 2 (now).");
    if (cdrom.empty() && floppy.empty()) return end("IDE-R needs a CD-ROM or a floppy image.");
    ider_requested_ = true;
    ider_start_ = static_cast<ider::StartMode>(start);
    struct Opened {
      std::string error;
      std::shared_ptr<DiskImage> cdrom, floppy;
    };
    run_file_io(
        [folder = grant_.files, cdrom, floppy] {
          Opened o;
          if (!cdrom.empty()) {
            auto r = open_image(folder, cdrom, ider::Drive::kCdrom);
            if (!r) return Opened{r.error().message, {}, {}};
            o.cdrom = *r;
          }
          if (!floppy.empty()) {
            auto r = open_image(folder, floppy, ider::Drive::kFloppy);
            if (!r) return Opened{r.error().message, {}, {}};
            o.floppy = *r;
          }
          return o;
        },
        [self = this->shared_from_this()](Opened o) {
          if (self->closed_) return;
          if (!o.error.empty()) return self->end(o.error);
          self->cdrom_ = std::move(o.cdrom);
          self->floppy_ = std::move(o.floppy);
          self->start_ider();
        });
  }

  void start_ider() {
    ider::HostConfig h;
    h.start = ider_start_;
    auto media = [this](const std::shared_ptr<DiskImage>& image, ider::Drive drive) {
      ider::Media m;
      m.size = image->size();
      m.read = [this, drive](std::uint64_t offset, std::span<std::uint8_t> out) { return window_read(drive, offset, out); };
      return m;
    };
    if (cdrom_) h.cdrom = media(cdrom_, ider::Drive::kCdrom);
    if (floppy_) h.floppy = media(floppy_, ider::Drive::kFloppy);
    host_.emplace(std::move(h));
    logger("amt")->info("{} IDE-R to {} for {}: CD-ROM {}, floppy {}", peer_, nodeid_, userid_, cdrom_ ? cdrom_->path() : "none",
                        floppy_ ? floppy_->path() : "none");
    open_redirection();
  }

  // The image bytes pump() asks for come from the window fetched on the file I/O pool.
  bool window_read(ider::Drive drive, std::uint64_t offset, std::span<std::uint8_t> out) const {
    if (!window_.ok || window_.drive != drive || offset < window_.offset ||
        offset + out.size() > window_.offset + window_.data.size()) {
      return false;
    }
    std::copy_n(window_.data.begin() + static_cast<std::ptrdiff_t>(offset - window_.offset), out.size(), out.begin());
    return true;
  }

  void ider_out(ider::Output o) {
    if (!o.send.empty()) handle(session_->send_raw(o.send));
    for (auto& e : o.events) {
      if (closed_) return;
      if (auto* op = std::get_if<ider::Opened>(&e)) {
        firmware_ = std::to_string(op->device.fw_major) + "." + std::to_string(op->device.fw_minor);
        ider_progress("opened");
      } else if (auto* t = std::get_if<ider::Toggled>(&e)) {
        if (!t->ok) return end("Intel AMT refused to show the IDE-R drives to the computer.");
        ider_progress("enabled");
      } else if (std::get_if<ider::BusReset>(&e)) {
        ider_progress("reset");
      } else if (std::get_if<ider::Closed>(&e)) {
        return end("Intel AMT ended the IDE-R session.");
      } else if (auto* f = std::get_if<ider::Failed>(&e)) {
        return end("IDE-R failed: " + f->error.message);
      }
    }
    ider_pump();
  }

  // A read in progress: fetch its next part (a whole number of AMT's read-buffer chunks, about
  // 64 KB) on the file I/O pool, send it, and fetch more once the link has sent it.
  void ider_pump() {
    if (!host_ || closed_ || prefetching_ || awaiting_drain_ || !host_->has_pending_data()) return;
    const auto pos = *host_->pending_read();
    const std::size_t chunk = host_->chunk_size();
    const std::size_t window = chunk * std::max<std::size_t>(1, (64 * 1024) / chunk);
    const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(pos.remaining, window));
    prefetching_ = true;
    run_file_io(
        [image = pos.drive == ider::Drive::kCdrom ? cdrom_ : floppy_, pos, len] {
          Window w;
          w.drive = pos.drive;
          w.offset = pos.offset;
          w.data.resize(len);
          w.ok = image && image->read(pos.offset, w.data);
          return w;
        },
        [self = this->shared_from_this()](Window w) { self->on_prefetched(std::move(w)); });
  }

  struct Window {
    ider::Drive drive = ider::Drive::kCdrom;
    std::uint64_t offset = 0;
    std::vector<std::uint8_t> data;
    bool ok = false;
  };

  void on_prefetched(Window w) {
    prefetching_ = false;
    if (closed_ || !host_) return;
    const auto pos = host_->pending_read();
    if (!pos || pos->drive != w.drive || pos->offset != w.offset) return ider_pump();  // a bus reset dropped that read
    window_ = std::move(w);
    auto o = host_->pump(window_.data.size());
    window_ = Window{};
    awaiting_drain_ = true;
    ider_out(std::move(o));
    if (channel_open_) link_->request_drained(channel_);
  }

  void on_drained() {
    awaiting_drain_ = false;
    ider_pump();
  }

  void ider_progress(const char* state) {
    if (!host_) return;
    const auto& st = host_->stats();
    Json j{{"action", "amtider"}, {"state", state}, {"toAmt", st.bytes_to_amt}, {"fromAmt", st.bytes_from_amt},
           {"start", static_cast<int>(ider_start_)}};
    if (!firmware_.empty()) j["firmware"] = firmware_;
    if (cdrom_) j["cdrom"] = {{"path", cdrom_->path()}, {"blocks", cdrom_->size() / 2048}, {"read", st.blocks_read[1]}};
    if (floppy_) j["floppy"] = {{"path", floppy_->path()}, {"blocks", floppy_->size() / 512}, {"read", st.blocks_read[0]}};
    last_progress_bytes_ = st.bytes_to_amt + st.bytes_from_amt;
    send_text(j.dump());
  }

  void tick() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      self->handle(self->session_->tick(monotonic_ms()));
      if (self->host_ && !self->closed_) {
        self->ider_out(self->host_->tick(monotonic_ms()));
        const auto& st = self->host_->stats();
        if (!self->closed_ && st.bytes_to_amt + st.bytes_from_amt != self->last_progress_bytes_) self->ider_progress("running");
      }
      self->tick();
    });
  }

  // [SECTION] Device → browser
  void on_device_bytes(const Bytes& d) {
    if (closed_) return;
    from_device_ += d.size();
    handle(session_->feed(d));
    // Acknowledged to the device only once the browser has room (see drained()).
    unacked_ += d.size();
    acknowledge();
  }

  void acknowledge() {
    if (!channel_open_ || unacked_ == 0 || queued_ > kMaxBrowserQueue) return;
    link_->consume(channel_, unacked_);
    unacked_ = 0;
  }

  void on_channel_closed() {
    channel_open_ = false;
    if (closed_) return;
    handle(session_->end_of_stream());
    end(ready_ ? "Intel AMT ended the session." : "Intel AMT closed the redirection port.");
  }

  void handle(redir::Output out) {
    if (!out.send.empty() && channel_open_) link_->send(channel_, std::move(out.send));
    for (auto& e : out.events) {
      if (std::get_if<redir::Ready>(&e)) {
        ready_ = true;
        const char* type = kvm_ ? "kvm" : mode_ == Mode::kIder ? "ider" : "sol";
        logger("amt")->info("{} {} relay to {} open for {}", peer_, type, nodeid_, userid_);
        Json ready{{"action", "amtrelay"}, {"state", "ready"}, {"type", type}};
        // The app shows the limit.
        if (kvm_ && grant_.view_only) ready["viewonly"] = true;
        if (kvm_ && grant_.limited_input) ready["limitedinput"] = true;
        send_text(ready.dump());
        if (host_) ider_out(host_->start());
      } else if (auto* s = std::get_if<redir::SolData>(&e)) {
        send_binary(std::move(s->data));
      } else if (auto* raw = std::get_if<redir::RawData>(&e)) {
        if (host_) {
          ider_out(host_->feed(raw->data));
          continue;
        }
        if (filter_) filter_->server_bytes(raw->data);
        send_binary(std::move(raw->data));
      } else if (std::get_if<redir::AuthFailed>(&e)) {
        return end("Intel AMT refused the device's credentials.");
      } else if (auto* f = std::get_if<redir::Failed>(&e)) {
        return end("Redirection failed: " + f->error.message);
      } else if (std::get_if<redir::Closed>(&e)) {
        return end("Intel AMT ended the session.");
      }
    }
  }

  void send_binary(Bytes data) {
    if (data.empty()) return;
    queued_ += data.size();
    queue_.push_back({true, std::string(data.begin(), data.end())});
    do_write();
  }
  void send_text(std::string text) {
    queued_ += text.size();
    queue_.push_back({false, std::move(text)});
    do_write();
  }
  void do_write() {
    if (writing_ || queue_.empty() || ws_closed_) return;
    writing_ = true;
    ws_.binary(queue_.front().binary);
    ws_.async_write(asio::buffer(queue_.front().data), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->queued_ -= self->queue_.front().data.size();
      if (self->queue_.front().binary) self->to_browser_ += self->queue_.front().data.size();
      self->queue_.pop_front();
      if (ec) return self->finish();
      self->acknowledge();
      if (self->queue_.empty() && self->closing_after_writes_) return self->close_ws();
      self->do_write();
    });
  }

  // [SECTION] Browser → device
  void do_read() {
    if (reading_ || closed_) return;
    reading_ = true;
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->reading_ = false;
      if (ec) return self->finish();
      if (!self->ws_.got_binary() && self->mode_ == Mode::kIder) {
        const auto data = self->buffer_.data();
        self->on_ider_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
      } else if (self->ws_.got_binary() && self->ready_ && self->mode_ != Mode::kIder) {
        const auto data = self->buffer_.data();
        std::span<const std::uint8_t> bytes(static_cast<const std::uint8_t*>(data.data()), data.size());
        self->from_browser_ += bytes.size();
        if (self->filter_) {  // view only / limited input: what the viewer needs to watch goes on, input as allowed
          Bytes pass;
          if (auto r = self->filter_->feed(bytes, pass); !r) {
            self->buffer_.consume(self->buffer_.size());
            return self->end("The viewer sent what a limited session cannot pass: " + r.error().message);
          }
          if (!pass.empty()) self->handle(self->session_->send_raw(pass));
        } else {
          self->handle(self->kvm_ ? self->session_->send_raw(bytes) : self->session_->send_sol_data(bytes));
        }
      }
      self->buffer_.consume(self->buffer_.size());
      self->do_read();
    });
  }

  // [SECTION] Ending
  // Tells the browser why, then closes everything.
  void end(const std::string& reason) {
    if (closed_) return;
    send_text(Json{{"action", "amtrelay"}, {"state", "closed"}, {"reason", reason}}.dump());
    closing_after_writes_ = true;
    finish();
    if (queue_.empty() || !writing_) do_write();
  }

  void finish() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    if (session_ && channel_open_) {
      if (host_) {  // CloseSession before the redirection session ends
        auto o = host_->close();
        if (!o.send.empty()) handle(session_->send_raw(o.send));
      }
      handle(session_->close());
      link_->close_channel(channel_);
      channel_open_ = false;
    }
    if (!closing_after_writes_ || queue_.empty()) close_ws();
    if (!grant_.meshid.empty() && started_ms_ > 0) record();
  }

  void close_ws() {
    if (ws_closed_) return;
    ws_closed_ = true;
    ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](beast::error_code) {});
  }

  void record() {
    accounts::record_relay_session(ctx_, {domain_.id, nodeid_, grant_.meshid, userid_, grant_.username, grant_.device_name,
                                          kvm_ ? 201 : mode_ == Mode::kIder ? 202 : 200,
                                          kvm_ ? "Intel AMT KVM" : mode_ == Mode::kIder ? "Intel AMT IDE-R" : "Intel AMT Serial-over-LAN", started_ms_,
                                          from_device_, from_browser_});
  }

  struct Queued {
    bool binary;
    std::string data;
  };

  websocket::stream<NextLayer> ws_;
  const ServerContext& ctx_;
  std::string peer_, client_ip_;
  const DomainSettings& domain_;
  asio::steady_timer timer_;
  WebSocketCredentials creds_;
  std::string nodeid_, userid_;
  bool kvm_ = false, valid_mode_ = false;
  Mode mode_ = Mode::kSol;
  // IDE-R
  std::optional<ider::HostSession> host_;
  std::shared_ptr<DiskImage> cdrom_, floppy_;
  ider::StartMode ider_start_ = ider::StartMode::kOnReboot;
  bool ider_requested_ = false, prefetching_ = false, awaiting_drain_ = false;
  Window window_;
  std::string firmware_;
  std::uint64_t last_progress_bytes_ = 0;
  Grant grant_;
  std::shared_ptr<CiraLink> link_;
  std::optional<redir::ClientSession> session_;
  std::optional<rfb::InputFilter> filter_;  // KVM for a "view only" or "limited input" user
  std::uint32_t channel_ = 0;
  bool channel_open_ = false, ready_ = false, reading_ = false, writing_ = false;
  bool closed_ = false, closing_after_writes_ = false, ws_closed_ = false;
  bool for_peer_ = false;
  beast::flat_buffer buffer_;
  std::deque<Queued> queue_;
  std::size_t queued_ = 0, unacked_ = 0;
  std::uint64_t from_device_ = 0, from_browser_ = 0, to_browser_ = 0;
  std::int64_t started_ms_ = 0;
};

}  // namespace

template <class NextLayer>
void start_amt_relay(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info,
                     http::request<http::string_body> upgrade) {
  std::make_shared<AmtRelay<NextLayer>>(std::move(stream), ctx, std::move(peer), info)->run(std::move(upgrade));
}

template <class NextLayer>
void start_peer_amt_relay(websocket::stream<NextLayer> ws, const ServerContext& ctx, std::string peer, const DomainSettings& domain,
                          std::string nodeid, const std::string& p, std::string userid) {
  std::make_shared<AmtRelay<NextLayer>>(std::move(ws), ctx, std::move(peer), domain)
      ->run_for_peer(std::move(nodeid), p, std::move(userid));
}

template void start_peer_amt_relay(websocket::stream<TlsStream>, const ServerContext&, std::string, const DomainSettings&, std::string,
                                   const std::string&, std::string);
template void start_peer_amt_relay(websocket::stream<beast::tcp_stream>, const ServerContext&, std::string, const DomainSettings&,
                                   std::string, const std::string&, std::string);

template void start_amt_relay(TlsStream, const ServerContext&, std::string, const RequestInfo&,
                              http::request<http::string_body>);
template void start_amt_relay(beast::tcp_stream, const ServerContext&, std::string, const RequestInfo&,
                              http::request<http::string_body>);

}  // namespace mw::server::amt
