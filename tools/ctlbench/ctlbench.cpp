// ctlbench: the client side of `scripts/bench.sh control`, native so that the client is not what
// is measured. Node's ws client spent about 2.3 ms of CPU per 200 KB "nodes" answer, so on two
// shared cores it saturated before either server did. The same client drives Meshwork and
// MeshCentral; one thread, like the Node client it replaces.
//
//   ctlbench --port P --mode logins --clients C --seconds S [--target T] [--header "Name: value"]...
//     C loops, each: TLS connect, WebSocket upgrade to T (default /control.ashx) with the headers,
//     read until {"action":"userinfo"} (login complete), close in the background, repeat.
//   ctlbench --port P --mode nodes --clients C --seconds S [...]
//     C sessions logged in as above, each: send {"action":"nodes"} and wait for its answer,
//     repeat. The first answer of each session is parsed in full and its devices counted.
// Prints one JSON line: {"mode":..,"done":N,"seconds":T,"per_second":R,"devices":D,"errors":E}.
// Loopback only (127.0.0.1); every loop ends when the time is up.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Wss = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  unsigned short port = 0;
  std::string mode;
  int clients = 16;
  double seconds = 10;
  std::string target = "/control.ashx";
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Totals {
  std::uint64_t done = 0;
  Clock::time_point last{};  // when the last one was done
  std::uint64_t errors = 0;
  std::size_t devices = 0;
  std::string first_error;
};

bool starts_with(const beast::flat_buffer& b, std::string_view prefix) {
  const auto* p = static_cast<const char*>(b.data().data());
  return b.size() >= prefix.size() && std::string_view(p, prefix.size()) == prefix;
}

// Connects and logs in; returns the open channel once "userinfo" has arrived.
awaitable<std::unique_ptr<Wss>> open(ssl::context& tls, const Options& o) {
  auto ex = co_await asio::this_coro::executor;
  auto ws = std::make_unique<Wss>(ex, tls);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), o.port);
  auto& tcp_layer = beast::get_lowest_layer(*ws);
  tcp_layer.expires_after(std::chrono::seconds(60));
  co_await tcp_layer.async_connect(ep, use_awaitable);
  tcp_layer.socket().set_option(tcp::no_delay(true));
  co_await ws->next_layer().async_handshake(ssl::stream_base::client, use_awaitable);
  tcp_layer.expires_never();
  ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws->set_option(websocket::stream_base::decorator([&o](websocket::request_type& req) {
    for (const auto& [name, value] : o.headers) req.set(name, value);
  }));
  ws->read_message_max(64u << 20);
  const std::string host = "127.0.0.1:" + std::to_string(o.port);
  co_await ws->async_handshake(host, o.target, use_awaitable);
  beast::flat_buffer buf;
  for (;;) {
    buf.clear();
    co_await ws->async_read(buf, use_awaitable);
    const auto m = nlohmann::json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
    const auto action = m.is_object() && m.contains("action") && m["action"].is_string() ? m["action"].get<std::string>() : "";
    if (action == "userinfo") co_return ws;
    if (action == "close") throw std::runtime_error("login refused: " + m.dump());
  }
}

awaitable<void> close_quietly(std::unique_ptr<Wss> ws) {
  try {
    co_await ws->async_close(websocket::close_code::normal, use_awaitable);
  } catch (const std::exception&) {
  }
}

void note_error(Totals& t, const std::exception& e) {
  ++t.errors;
  if (t.first_error.empty()) t.first_error = e.what();
}

awaitable<void> login_loop(ssl::context& tls, const Options& o, Clock::time_point end, Totals& t) {
  while (Clock::now() < end) {
    try {
      auto ws = co_await open(tls, o);
      ++t.done;
      t.last = Clock::now();
      auto ex = co_await asio::this_coro::executor;
      asio::co_spawn(ex, close_quietly(std::move(ws)), asio::detached);
    } catch (const std::exception& e) {
      note_error(t, e);
    }
  }
}

std::size_t count_devices(const beast::flat_buffer& buf) {
  const auto m = nlohmann::json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
  std::size_t n = 0;
  if (!m.is_object() || !m.contains("nodes") || !m["nodes"].is_object()) return 0;
  for (const auto& [group, list] : m["nodes"].items()) {
    if (list.is_array()) n += list.size();
  }
  return n;
}

awaitable<void> nodes_loop(std::unique_ptr<Wss> ws, Clock::time_point end, Totals& t) {
  const std::string request = R"({"action":"nodes","responseid":"bench"})";
  beast::flat_buffer buf;
  bool checked = false;
  try {
    while (Clock::now() < end) {
      ws->text(true);
      co_await ws->async_write(asio::buffer(request), use_awaitable);
      for (;;) {
        buf.clear();
        co_await ws->async_read(buf, use_awaitable);
        if (starts_with(buf, R"({"action":"nodes")")) break;
      }
      if (!checked) {
        t.devices = std::max(t.devices, count_devices(buf));
        checked = true;
      }
      ++t.done;
      t.last = Clock::now();
    }
    co_await ws->async_close(websocket::close_code::normal, use_awaitable);
  } catch (const std::exception& e) {
    note_error(t, e);
  }
}

awaitable<void> nodes_start(ssl::context& tls, const Options& o, Totals& t, Clock::time_point& started) {
  std::vector<std::unique_ptr<Wss>> open_sessions;
  for (int i = 0; i < o.clients; ++i) open_sessions.push_back(co_await open(tls, o));
  auto ex = co_await asio::this_coro::executor;
  started = Clock::now();
  const auto end = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  for (auto& ws : open_sessions) asio::co_spawn(ex, nodes_loop(std::move(ws), end, t), asio::detached);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> headers;
  CLI::App app{"ctlbench: control-channel load for scripts/bench.sh control (loopback only)"};
  app.add_option("--port", o.port, "server port on 127.0.0.1")->required();
  app.add_option("--mode", o.mode, "logins or nodes")->required()->check(CLI::IsMember({"logins", "nodes"}));
  app.add_option("--clients", o.clients, "concurrent loops or sessions")->check(CLI::Range(1, 10000));
  app.add_option("--seconds", o.seconds, "length of the measurement")->check(CLI::Range(0.1, 600.0));
  app.add_option("--target", o.target, "WebSocket path and query");
  app.add_option("--header", headers, "\"Name: value\" sent with the upgrade (repeatable)");
  CLI11_PARSE(app, argc, argv);
  for (const auto& h : headers) {
    const auto colon = h.find(':');
    if (colon == std::string::npos) {
      std::cerr << "ctlbench: --header needs \"Name: value\"\n";
      return 2;
    }
    const auto value_start = h.find_first_not_of(' ', colon + 1);
    o.headers.emplace_back(h.substr(0, colon), value_start == std::string::npos ? "" : h.substr(value_start));
  }

  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_none);  // loopback against a self-signed test server
  asio::io_context ioc(1);
  Totals t;
  std::exception_ptr failure;
  const auto start = Clock::now();
  Clock::time_point measure_start = start;
  if (o.mode == "logins") {
    const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
    for (int i = 0; i < o.clients; ++i) asio::co_spawn(ioc, login_loop(tls, o, end, t), asio::detached);
  } else {
    asio::co_spawn(ioc, nodes_start(tls, o, t, measure_start), [&](std::exception_ptr e) { failure = e; });
  }
  ioc.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::cerr << "ctlbench: " << e.what() << "\n";
      return 1;
    }
  }
  // The loops stop starting work at the end time; what was in flight then still counts, so the
  // rate is up to the last completion (closing the channels afterwards is not counted).
  const double secs = std::chrono::duration<double>((t.done ? t.last : Clock::now()) - measure_start).count();
  nlohmann::json out{{"mode", o.mode},          {"done", t.done},   {"seconds", secs},
                     {"per_second", t.done / secs}, {"devices", t.devices}, {"errors", t.errors}};
  if (!t.first_error.empty()) out["first_error"] = t.first_error;
  std::cout << out.dump() << std::endl;
  return t.done > 0 ? 0 : 1;
}
