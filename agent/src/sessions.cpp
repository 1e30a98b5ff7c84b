// Relay sessions of the agent (sessions.hpp): the terminal.
#include "sessions.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agent.hpp"
#include "desktop.hpp"
#include "mw/native/file_service.hpp"
#include "pty.hpp"
#include "wss.hpp"

namespace mw::agent {

namespace pa = proto::agent;
using asio::use_awaitable;
using native::FileService;

namespace {

std::string error_message(const std::string& reason) {
  return nlohmann::json{{"ctrl", "error"}, {"reason", reason}}.dump();
}

asio::awaitable<void> send_error(Wss& ws, const std::string& reason) {
  boost::system::error_code ec;
  // Built outside the co_await expression (see agent.cpp on g++ 12).
  const std::string text = error_message(reason);
  ws.text(true);
  co_await ws.async_write(asio::buffer(text), asio::redirect_error(use_awaitable, ec));
  co_await ws.async_close(websocket::close_code::normal, asio::redirect_error(use_awaitable, ec));
}

asio::awaitable<void> terminal(std::shared_ptr<Wss> ws, const pa::Settings& settings, const pa::Tunnel& t) {
  std::shared_ptr<Pty> pty;
  std::string refused;
  try {
    pty = Pty::spawn(ws->get_executor(), PtyOptions{t.cols, t.rows, settings.terminal_user});
  } catch (const std::exception& e) {
    refused = e.what();
  }
  if (!pty) {  // (co_await is not allowed inside the catch block)
    log_line("terminal refused: " + refused);
    co_await send_error(*ws, refused);
    co_return;
  }
  log_line("terminal session " + t.id.substr(0, 8) + " started");
  auto done = std::make_shared<bool>(false);
  // Shell → browser. One read in flight, written before the next: a slow browser slows the shell.
  asio::co_spawn(
      ws->get_executor(),
      [ws, p = pty, done]() -> asio::awaitable<void> {
        std::vector<std::uint8_t> buf(16384);
        boost::system::error_code ec;
        while (!*done) {
          const std::size_t n = co_await p->read(buf);
          if (n == 0 || *done) break;
          ws->binary(true);
          co_await ws->async_write(asio::buffer(buf.data(), n), asio::redirect_error(use_awaitable, ec));
          if (ec) break;
        }
        if (!*done) {
          *done = true;
          co_await ws->async_close(websocket::close_code::normal, asio::redirect_error(use_awaitable, ec));
        }
      },
      asio::detached);
  // Browser → shell.
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  while (!*done) {
    buffer.clear();
    co_await ws->async_read(buffer, asio::redirect_error(use_awaitable, ec));
    if (ec || *done) break;
    const auto data = buffer.data();
    const auto* bytes = static_cast<const std::uint8_t*>(data.data());
    if (ws->got_binary()) {
      try {
        co_await pty->write({bytes, data.size()});
      } catch (const std::exception&) {
        break;
      }
      continue;
    }
    const auto j = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(bytes), data.size()), nullptr, false);
    const auto ctrl = j.is_object() ? j.find("ctrl") : j.end();
    if (ctrl != j.end() && ctrl->is_string() && *ctrl == "resize" && j.contains("cols") && j.contains("rows") &&
        j["cols"].is_number_integer() && j["rows"].is_number_integer()) {
      pty->resize(std::clamp(j["cols"].get<int>(), 1, 1000), std::clamp(j["rows"].get<int>(), 1, 1000));
    }
  }
  *done = true;
  pty->close();
  beast::get_lowest_layer(*ws).socket().close(ec);
  log_line("terminal session " + t.id.substr(0, 8) + " ended");
}

asio::awaitable<void> send_json(Wss& ws, const nlohmann::json& j) {
  const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  ws.text(true);
  co_await ws.async_write(asio::buffer(text), use_awaitable);
}

// Files (docs/agent-protocol.md "Files"): requests as text; a download streams binary chunks
// of 64 KiB, each written before the next is read from disk; an upload's chunks are written to
// disk as they arrive. One transfer at a time per session; memory stays at one chunk.
asio::awaitable<void> files(std::shared_ptr<Wss> ws, const pa::Settings& settings, const pa::Tunnel& t) {
  FileService svc(settings.files_root.empty() ? "/" : settings.files_root);
  log_line("files session " + t.id.substr(0, 8) + " started");
  beast::flat_buffer buffer;
  std::vector<char> chunk(FileService::kChunk);
  nlohmann::json reply;  // answers are built here, never inside a co_await expression (agent.cpp)
  try {
    // First, where the browser starts: the served folder.
    reply = svc.greeting();
    co_await send_json(*ws, reply);
    for (;;) {
      buffer.clear();
      co_await ws->async_read(buffer, use_awaitable);
      const auto data = buffer.data();
      const auto* bytes = static_cast<const std::uint8_t*>(data.data());
      if (ws->got_binary()) {
        if (auto answer = svc.on_binary({bytes, data.size()})) co_await send_json(*ws, *answer);
        continue;
      }
      FileService::Step step = svc.on_text(std::string_view(reinterpret_cast<const char*>(bytes), data.size()));
      for (const auto& r : step.replies) co_await send_json(*ws, r);
      if (!step.download) continue;
      auto& d = *step.download;
      std::uint64_t left = d.size - d.offset;
      while (left > 0) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
        d.in.read(chunk.data(), static_cast<std::streamsize>(n));
        if (static_cast<std::size_t>(d.in.gcount()) != n) break;  // the file shrank meanwhile
        ws->binary(true);
        co_await ws->async_write(asio::buffer(chunk.data(), n), use_awaitable);
        left -= n;
      }
      reply = FileService::download_end(step.id, d, left == 0);
      co_await send_json(*ws, reply);
    }
  } catch (const std::exception&) {
    // The relay closed (or failed): an unfinished upload stays as .mwpart for a resume.
  }
  svc.abandon_upload();
  log_line("files session " + t.id.substr(0, 8) + " ended");
}

// Desktop (protocol 2): the relay carries RFB unchanged between the browser and libvncserver, which
// serves this viewer on one end of a socket pair (desktop.hpp). Each direction has one read in
// flight, written before the next read.
asio::awaitable<void> desktop(std::shared_ptr<Wss> ws, const pa::Settings& settings, const pa::Tunnel& t) {
  int fd = -1;
  std::string refused;
  nlohmann::json listing;
  try {
    auto desk = Desktop::open(settings.display);
    // The displays the viewer may choose from, before the RFB bytes (docs/agent-protocol.md).
    nlohmann::json list = nlohmann::json::array();
    for (const DisplayInfo& d : desk->displays()) {
      list.push_back({{"id", d.id}, {"name", d.name}, {"x", d.x}, {"y", d.y}, {"width", d.width}, {"height", d.height},
                      {"primary", d.primary}});
    }
    listing = {{"ctrl", "displays"}, {"displays", std::move(list)}, {"display", t.display}};
    fd = desk->add_viewer(t.view_only       ? ViewerInput::kViewOnly
                          : t.limited_input ? ViewerInput::kLimited
                                            : ViewerInput::kFull,
                          t.display);
  } catch (const std::exception& e) {
    refused = e.what();
  }
  if (!listing.is_null()) co_await send_json(*ws, listing);
  if (fd < 0) {
    log_line("desktop refused: " + refused);
    co_await send_error(*ws, refused);
    co_return;
  }
  log_line("desktop session " + t.id.substr(0, 8) + " started" + (t.display ? " on display " + std::to_string(t.display) : "") +
           (t.view_only ? " (view only)" : t.limited_input ? " (limited input)" : ""));
  auto rfb = std::make_shared<asio::posix::stream_descriptor>(ws->get_executor(), fd);
  auto done = std::make_shared<bool>(false);
  asio::co_spawn(
      ws->get_executor(),
      [ws, rfb, done]() -> asio::awaitable<void> {
        std::vector<std::uint8_t> buf(64 * 1024);
        boost::system::error_code ec;
        while (!*done) {
          const std::size_t n = co_await rfb->async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
          if (ec || *done) break;
          ws->binary(true);
          co_await ws->async_write(asio::buffer(buf.data(), n), asio::redirect_error(use_awaitable, ec));
          if (ec) break;
        }
        if (!*done) {
          *done = true;
          beast::get_lowest_layer(*ws).socket().close(ec);
        }
      },
      asio::detached);
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  while (!*done) {
    buffer.clear();
    co_await ws->async_read(buffer, asio::redirect_error(use_awaitable, ec));
    if (ec || *done) break;
    if (!ws->got_binary()) continue;
    co_await asio::async_write(*rfb, buffer.data(), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  *done = true;
  rfb->close(ec);  // libvncserver sees the viewer leave
  beast::get_lowest_layer(*ws).socket().close(ec);
  log_line("desktop session " + t.id.substr(0, 8) + " ended");
}

}  // namespace

asio::awaitable<void> serve_tunnel(ssl::context& tls, RelayTarget target, pa::Tunnel tunnel) {
  try {
    const std::string path = "/meshrelay.ashx?id=" + tunnel.id;  // (named: see agent.cpp on g++ 12)
    auto c = co_await connect_wss(tls, target.url, path);
    if (c.tls_cert_hash.size() != target.tls_cert_hash.size() ||
        CRYPTO_memcmp(c.tls_cert_hash.data(), target.tls_cert_hash.data(), c.tls_cert_hash.size()) != 0) {
      log_line("relay refused: the server presented another TLS certificate than on the agent channel");
      co_return;
    }
    std::shared_ptr<Wss> ws(std::move(c.ws));
    ws->read_message_max(1u << 20);
    // A client masks what it sends, through a buffer of write_buffer_bytes (Beast's default 4 KB):
    // each piece was its own TLS record and system call, 16 per 64 KB files message. One 64 KB
    // buffer per relay sends a message as four full records in one write.
    ws->write_buffer_bytes(64 * 1024);
    ws->auto_fragment(false);
    switch (tunnel.protocol) {
      case pa::RelayProtocol::kTerminal:
        co_await terminal(ws, target.settings, tunnel);
        break;
      case pa::RelayProtocol::kFiles:
        co_await files(ws, target.settings, tunnel);
        break;
      case pa::RelayProtocol::kDesktop:
        co_await desktop(ws, target.settings, tunnel);
        break;
    }
  } catch (const std::exception& e) {
    log_line("relay " + tunnel.id.substr(0, 8) + " failed: " + e.what());
  }
}

}  // namespace mw::agent
