// meshwork-agent: the in-band agent (agent/README.md). Runs in the foreground with a settings file
// the server hands out, installs or removes itself as a service, or runs a swarm of identities
// for load tests.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent.hpp"
#include "service.hpp"
#include "wss.hpp"

namespace fs = std::filesystem;
namespace pa = mw::proto::agent;
using namespace mw::agent;

namespace {

pa::Settings read_settings(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the settings file " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  auto s = pa::parse_settings(text.str());
  if (!s) throw std::runtime_error(file.string() + ": " + s.error().message);
  return s.value();
}

// Enough descriptors for a swarm: the soft limit raised to the hard one.
void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

// The server asked this agent to uninstall itself (MeshCentral's "uninstallagent"). The installed
// service hands the removal to a transient systemd unit: stopping the service from inside would
// end this process half-way. An agent run in the foreground forgets its identity (a new device
// if it is ever started again) and exits; its settings and binary are the operator's files.
int uninstall_on_request(const fs::path& settings_file, const fs::path& state_dir) {
  std::error_code ec;
  const auto installed = install_paths("/");
  if (fs::equivalent(settings_file, installed.settings, ec)) {
    log_line("uninstalling the service at the server's request");
    const std::string binary = installed.binary.string();
    const char* argv[] = {"systemd-run", "--quiet", "--collect", "--unit=meshwork-agent-uninstall", binary.c_str(), "--uninstall", nullptr};
    ::execvp(argv[0], const_cast<char* const*>(argv));
    // No systemd-run: remove it from here (uninstall_service stops the service, this process, last).
    const auto err = uninstall_service("/");
    if (!err.empty()) log_line("uninstall failed: " + err);
    return err.empty() ? 0 : 1;
  }
  fs::remove(state_dir / "agent-key.pem", ec);
  if (ec) {
    log_line("uninstall: cannot remove the identity in " + state_dir.string() + ": " + ec.message());
    return 1;
  }
  log_line("uninstalled at the server's request: identity removed from " + state_dir.string());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"meshwork-agent: connects this computer to a Meshwork server (terminal, files, desktop)"};
  std::string settings_file, state_dir, root = "/";
  bool install = false, uninstall = false;
  int swarm = 0, sysinfo_seconds = 60, backoff_max_ms = 300000;
  app.add_option("--settings", settings_file, "settings file from the server (MeshServer, ServerID, MeshID)");
  app.add_option("--state-dir", state_dir, "folder for the agent's identity key");
  app.add_flag("--install", install, "install as a systemd service (copies the binary and settings, enables it)");
  app.add_flag("--uninstall", uninstall, "stop and remove the service and its files");
  app.add_option("--root", root, "install into this folder instead of / (service files written, nothing started)");
  app.add_option("--swarm", swarm, "run N agent identities in one process (load tests; no sessions)")->check(CLI::Range(1, 50000));
  app.add_option("--sysinfo-interval", sysinfo_seconds, "seconds between checks for changed system information")
      ->check(CLI::Range(1, 86400));
  app.add_option("--backoff-max-ms", backoff_max_ms, "longest wait between reconnection attempts (default 5 minutes)")
      ->check(CLI::Range(10, 3600000));
  app.set_version_flag("--version", std::string("meshwork-agent ") + MW_AGENT_VERSION);
  CLI11_PARSE(app, argc, argv);

  try {
    if (uninstall) {
      const auto err = uninstall_service(root);
      if (!err.empty()) throw std::runtime_error(err);
      return 0;
    }
    if (settings_file.empty()) throw std::runtime_error("--settings FILE is required");
    auto settings = read_settings(settings_file);
    if (install) {
      const auto err = install_service(root, settings_file);
      if (!err.empty()) throw std::runtime_error(err);
      return 0;
    }
    if (state_dir.empty()) throw std::runtime_error("--state-dir DIR is required");
    auto tls = make_client_tls();
    if (swarm == 0) {
      boost::asio::io_context io(1);
      AgentOptions o;
      o.sysinfo_interval = std::chrono::seconds(sysinfo_seconds);
      o.backoff_max = std::chrono::milliseconds(backoff_max_ms);
      o.backoff_min = std::min(o.backoff_min, o.backoff_max);
      bool uninstall_requested = false;
      o.on_uninstall = [&] {
        uninstall_requested = true;
        io.stop();
      };
      auto agent = std::make_shared<Agent>(io, *tls, settings, Identity::load_or_create(state_dir), o);
      log_line("device id " + agent->identity().node_value() + ", server " + settings.server_url);
      boost::asio::signal_set signals(io, SIGINT, SIGTERM);
      signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
      agent->start();
      io.run();
      if (uninstall_requested) return uninstall_on_request(settings_file, state_dir);
      log_line("stopped");
      return 0;
    }
    // Swarm: identities spread over one single-threaded io_context per core.
    raise_fd_limit();
    auto ids = Identity::load_or_create_many(state_dir, static_cast<std::size_t>(swarm));
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::unique_ptr<boost::asio::io_context>> ios;
    for (unsigned i = 0; i < threads; ++i) ios.push_back(std::make_unique<boost::asio::io_context>(1));
    std::vector<std::shared_ptr<Agent>> agents;
    for (int i = 0; i < swarm; ++i) {
      AgentOptions o;
      o.sessions = false;
      o.quiet = true;
      o.label = "swarm-" + std::to_string(i);
      o.backoff_max = std::chrono::milliseconds(backoff_max_ms);
      o.backoff_min = std::min(o.backoff_min, o.backoff_max);
      agents.push_back(std::make_shared<Agent>(*ios[i % threads], *tls, settings, std::move(ids[i]), o));
      agents.back()->start();
    }
    log_line("swarm of " + std::to_string(swarm) + " agents on " + std::to_string(threads) + " threads");
    boost::asio::signal_set signals(*ios[0], SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      for (auto& io : ios) io->stop();
    });
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&io = *ios[i]] { io.run(); });
    ios[0]->run();
    for (auto& io : ios) io->stop();
    for (auto& w : workers) w.join();
    return 0;
  } catch (const std::exception& e) {
    log_line(std::string("error: ") + e.what());
    return 1;
  }
}
