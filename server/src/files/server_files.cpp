// Server files (server_files.hpp).
#include "files/server_files.hpp"

#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <vector>

#include "accounts/model.hpp"
#include "accounts/rights.hpp"
#include "agents/mesh_relay.hpp"
#include "control_session.hpp"
#include "log.hpp"
#include "mw/native/file_service.hpp"
#include "tls_stream.hpp"

namespace mw::server::files {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using native::FileService;

namespace {

// One plain path component: what an id part may be to become a folder name.
bool plain_component(std::string_view s) {
  if (s.empty() || s.size() > 255 || s == "." || s == "..") return false;
  for (const char c : s) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
  }
  return true;
}

}  // namespace

std::optional<fs::path> store_folder(const fs::path& filespath, std::string_view store_id) {
  const auto a = store_id.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = store_id.find('/', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  const std::string_view kind = store_id.substr(0, a), domain = store_id.substr(a + 1, b - a - 1), value = store_id.substr(b + 1);
  if ((kind != "user" && kind != "mesh") || !plain_component(value) || (!domain.empty() && !plain_component(domain))) {
    return std::nullopt;
  }
  const std::string domain_folder = domain.empty() ? "domain" : "domain-" + std::string(domain);
  return filespath / domain_folder / (std::string(kind) + "-" + std::string(value));
}

FileStore check_store(store::Store& s, const DomainSettings& domain, const fs::path& filespath, const std::string& userid,
                      const std::string& store_id) {
  using namespace accounts;
  FileStore f;
  f.id = store_id;
  auto user = s.get(userid);
  if (!user || !user.value()) {
    f.error = "Your account was not found.";
    return f;
  }
  if (domain.user_quota_kb == -1) {
    f.error = "Files on the server are turned off in this domain.";
    return f;
  }
  const auto folder = store_folder(filespath, store_id);
  if (!folder || domain_of(store_id) != domain.id) {
    f.error = "No such storage.";
    return f;
  }
  const Json& u = *user.value();
  if (store_id.rfind("user/", 0) == 0) {
    if (store_id != userid) {
      f.error = "Access denied: an account's files are its own.";
      return f;
    }
    const std::uint32_t site = site_rights(u);
    if (!has_all(site, site_right::kFileAccess)) {
      f.error = "Access denied: your account has no files on the server (the \"server files\" site right).";
      return f;
    }
    f.name = "My Files";
    if (site != site_right::kFull && domain.user_quota_kb > 0) f.quota = static_cast<std::uint64_t>(domain.user_quota_kb) * 1024;
  } else {
    auto mesh = s.get(store_id);
    const bool exists = mesh && mesh.value() && mesh.value()->value("type", "") == "mesh" && !mesh.value()->contains("deleted");
    const std::uint32_t rights = mesh_rights(u, store_id);
    if (!exists || rights == 0) {
      f.error = "No such storage.";  // a group the user cannot see does not exist for them
      return f;
    }
    if (!has_all(rights, mesh_right::kServerFiles)) {
      f.error = "Access denied: the group's files need the \"server files\" right on the group.";
      return f;
    }
    if (domain.mesh_quota_kb == -1) {
      f.error = "Files of device groups are turned off in this domain.";
      return f;
    }
    f.name = text_of(*mesh.value(), "name");
    if (domain.mesh_quota_kb > 0) f.quota = static_cast<std::uint64_t>(domain.mesh_quota_kb) * 1024;
  }
  f.folder = *folder;
  return f;
}

namespace {

constexpr std::size_t kMaxMessage = 1u << 20;

template <class NextLayer>
class ServerFilesSession : public std::enable_shared_from_this<ServerFilesSession<NextLayer>> {
 public:
  ServerFilesSession(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info)
      : ws_(std::move(stream)), ctx_(ctx), peer_(std::move(peer)), client_ip_(info.client_ip), domain_(*info.domain) {}

  void run(http::request<http::string_body> upgrade) {
    store_id_ = query_param(upgrade.target(), "store");
    creds_ = WebSocketCredentials::from(upgrade);
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(kMaxMessage);
    ws_.auto_fragment(false);  // one frame per message (mesh_relay.cpp)
    auto req = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
    ws_.async_accept(*req, [self = this->shared_from_this(), req](beast::error_code ec) {
      if (ec) return;
      authenticate_websocket(
          self->ctx_, self->ws_.get_executor(), self->domain_, self->client_ip_, std::move(self->creds_),
          [self](std::string uid) { self->on_user(std::move(uid)); },
          [self](std::string reason) { self->end(reason); });
    });
  }

 private:
  struct Out {
    bool binary = false;
    std::string data;
  };
  // What one piece of disk work gives: messages to send, and whether a download goes on.
  struct Batch {
    std::vector<Out> out;
    bool more = false;
  };
  static Out text(const Json& j) { return {false, j.dump(-1, ' ', false, Json::error_handler_t::replace)}; }

  // Runs `work` on the file pool and `then(result)` back on this session's executor. Work of one
  // session never overlaps: the next starts from `then` or from a read that `then` began.
  template <class Work, class Then>
  void on_disk(Work work, Then then) {
    asio::post(*ctx_.file_io, [self = this->shared_from_this(), work = std::move(work), then = std::move(then)]() mutable {
      auto result = work();
      asio::post(self->ws_.get_executor(), [self, then = std::move(then), result = std::move(result)]() mutable {
        then(std::move(result));
      });
    });
  }

  // [SECTION] Who, and which storage
  void on_user(std::string uid) {
    userid_ = std::move(uid);
    ctx_.async_db->run(
        ws_.get_executor(),
        [d = &domain_, fp = ctx_.settings.filespath, uid = userid_, sid = store_id_](store::Store& s) {
          return check_store(s, *d, fp, uid, sid);
        },
        [self = this->shared_from_this()](FileStore st) { self->on_store(std::move(st)); });
  }
  void on_store(FileStore st) {
    if (!st.error.empty()) {
      logger("files")->info("{} server files {} refused for {}: {}", peer_, store_id_.substr(0, 200), userid_, st.error);
      return end(st.error);
    }
    if (auto refused = ctx_.relays->acquire(userid_); !refused.empty()) return end(refused);
    counted_ = true;
    logger("files")->info("{} server files {} opened by {}", peer_, st.id, userid_);
    on_disk(
        [self = this->shared_from_this(), st = std::move(st)] {
          Batch b;
          std::error_code ec;
          fs::create_directories(st.folder, ec);
          if (ec) {
            logger("files")->error("cannot create {}: {}", st.folder.string(), ec.message());
            b.more = true;  // marks the failure
            return b;
          }
          self->svc_.emplace(FileService::Options{st.folder, true, st.quota});
          b.out.push_back(text({{"action", "meshrelay"}, {"state", "ready"}, {"p", 5}, {"name", st.name}}));
          b.out.push_back(text(self->svc_->greeting()));
          return b;
        },
        [self = this->shared_from_this()](Batch b) {
          if (b.more) return self->end("The server cannot create the folder for these files.");
          self->send(std::make_shared<Batch>(std::move(b)), 0);
        });
  }

  // [SECTION] One message at a time: read, work on disk, send the answers, read again.
  void do_read() {
    if (closed_) return;
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->end("");
      const bool binary = self->ws_.got_binary();
      std::string data = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      self->on_disk([self, binary, data = std::move(data)] { return self->process(binary, data); },
                    [self](Batch b) { self->send(std::make_shared<Batch>(std::move(b)), 0); });
    });
  }
  // On the pool.
  Batch process(bool binary, const std::string& data) {
    Batch b;
    if (binary) {
      if (auto answer = svc_->on_binary({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()})) b.out.push_back(text(*answer));
      return b;
    }
    FileService::Step step = svc_->on_text(data);
    for (const auto& r : step.replies) b.out.push_back(text(r));
    if (step.download) {
      download_ = std::move(step.download);
      download_id_ = step.id;
      next_chunk(b);
    }
    return b;
  }
  // On the pool: the download's next chunk, and its end after the last one.
  void next_chunk(Batch& b) {
    auto& d = *download_;
    const std::uint64_t left = d.size - d.offset;
    if (left > 0) {
      std::string chunk(static_cast<std::size_t>(std::min<std::uint64_t>(left, FileService::kChunk)), '\0');
      d.in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      if (static_cast<std::size_t>(d.in.gcount()) == chunk.size()) {
        d.offset += chunk.size();
        b.out.push_back({true, std::move(chunk)});
        if (d.offset < d.size) {
          b.more = true;
          return;
        }
      }
    }
    b.out.push_back(text(FileService::download_end(download_id_, d, d.offset == d.size)));
    download_.reset();
  }
  void send(std::shared_ptr<Batch> b, std::size_t i) {
    if (closed_) return;
    if (i == b->out.size()) {
      if (!b->more) return do_read();
      return on_disk(
          [self = this->shared_from_this()] {
            Batch next;
            self->next_chunk(next);
            return next;
          },
          [self = this->shared_from_this()](Batch next) { self->send(std::make_shared<Batch>(std::move(next)), 0); });
    }
    ws_.binary(b->out[i].binary);
    ws_.async_write(asio::buffer(b->out[i].data), [self = this->shared_from_this(), b, i](beast::error_code ec, std::size_t) {
      if (ec) return self->end("");
      self->send(b, i + 1);
    });
  }

  // [SECTION] Ending: the reason as the relay gives it, then the close. No write is in flight when
  // this runs: reads, disk work and writes follow one another.
  void end(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    if (counted_) {
      ctx_.relays->release(userid_);
      logger("files")->info("{} server files {} closed for {}", peer_, store_id_.substr(0, 200), userid_);
    }
    closing_text_ = Json{{"action", "meshrelay"}, {"state", "closed"}, {"reason", reason.empty() ? "Closed." : reason}}.dump();
    ws_.text(true);
    ws_.async_write(asio::buffer(closing_text_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {});
    });
  }

  websocket::stream<NextLayer> ws_;
  const ServerContext& ctx_;
  std::string peer_, client_ip_;
  const DomainSettings& domain_;
  WebSocketCredentials creds_;
  std::string store_id_, userid_, closing_text_;
  beast::flat_buffer buffer_;
  bool closed_ = false, counted_ = false;
  // Used on the pool only, by one piece of work at a time.
  std::optional<FileService> svc_;
  std::optional<FileService::Download> download_;
  Json download_id_;
};

}  // namespace

template <class NextLayer>
void start_server_files(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info,
                        http::request<http::string_body> upgrade) {
  std::make_shared<ServerFilesSession<NextLayer>>(std::move(stream), ctx, std::move(peer), info)->run(std::move(upgrade));
}

template void start_server_files(TlsStream, const ServerContext&, std::string, const RequestInfo&,
                                 http::request<http::string_body>);
template void start_server_files(beast::tcp_stream, const ServerContext&, std::string, const RequestInfo&,
                                 http::request<http::string_body>);

}  // namespace mw::server::files
