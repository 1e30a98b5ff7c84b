// Linux system information from /etc/os-release, /proc, statvfs, getifaddrs and utmpx.
#include "sysinfo.hpp"

#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <utmpx.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace mw::agent {

using Json = nlohmann::json;

namespace {

std::string unquote(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
  return v;
}

std::map<std::string, std::string> os_release() {
  std::map<std::string, std::string> out;
  std::ifstream in("/etc/os-release");
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = unquote(line.substr(eq + 1));
  }
  return out;
}

// kB figures of /proc/meminfo, in bytes.
std::map<std::string, std::uint64_t> meminfo() {
  std::map<std::string, std::uint64_t> out;
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (!key.empty() && key.back() == ':') key.pop_back();
    out[key] = kb * 1024;
  }
  return out;
}

Json cpu() {
  std::ifstream in("/proc/cpuinfo");
  std::string model;
  int count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("processor", 0) == 0) ++count;
    if (model.empty() && line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  if (count == 0) count = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  return {{"model", model}, {"cores", count}};
}

Json disks() {
  static const std::set<std::string> kReal = {"ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "exfat", "ntfs", "ntfs3",
                                              "zfs", "f2fs", "jfs", "reiserfs", "fuseblk"};
  Json out = Json::array();
  std::set<std::string> seen;
  std::ifstream in("/proc/mounts");
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string dev, mount, type;
    ls >> dev >> mount >> type;
    if (!kReal.count(type) || !seen.insert(dev).second) continue;
    struct statvfs st {};
    if (statvfs(mount.c_str(), &st) != 0) continue;
    out.push_back({{"device", dev},
                   {"mount", mount},
                   {"fs", type},
                   {"size", static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize},
                   {"free", static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize}});
  }
  return out;
}

Json interfaces() {
  std::map<std::string, Json> by_name;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return Json::array();
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || !a->ifa_name) continue;
    auto& j = by_name[a->ifa_name];
    if (j.is_null()) j = {{"name", a->ifa_name}, {"mac", ""}, {"ipv4", Json::array()}, {"ipv6", Json::array()},
                          {"up", (a->ifa_flags & IFF_UP) != 0}, {"loopback", (a->ifa_flags & IFF_LOOPBACK) != 0}};
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_PACKET) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
      std::string mac;
      for (int i = 0; i < ll->sll_halen && i < 8; ++i) {
        char b[4];
        std::snprintf(b, sizeof b, "%s%02x", i ? ":" : "", ll->sll_addr[i]);
        mac += b;
      }
      j["mac"] = mac;
    } else if (a->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
      j["ipv4"].push_back(text);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr, text, sizeof text);
      j["ipv6"].push_back(text);
    }
  }
  freeifaddrs(list);
  Json out = Json::array();
  for (auto& [name, j] : by_name) out.push_back(std::move(j));
  return out;
}

Json users() {
  std::set<std::string> names;
  setutxent();
  while (const utmpx* u = getutxent()) {
    if (u->ut_type == USER_PROCESS && u->ut_user[0]) names.insert(std::string(u->ut_user, strnlen(u->ut_user, sizeof u->ut_user)));
  }
  endutxent();
  return Json(std::vector<std::string>(names.begin(), names.end()));
}

}  // namespace

const char* platform_name() { return "linux"; }

std::string host_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

int platform_agent_id() {
#if defined(__x86_64__)
  return 6;  // MeshCentral's "Linux x86-64"
#elif defined(__aarch64__)
  return 26;  // MeshCentral's "Linux ARM64"
#else
  return 5;  // MeshCentral's "Linux x86-32"
#endif
}

Json collect_sysinfo() {
  utsname un{};
  uname(&un);
  const auto rel = os_release();
  const auto mem = meminfo();
  auto get = [](const auto& m, const std::string& k) {
    const auto it = m.find(k);
    return it == m.end() ? decltype(it->second){} : it->second;
  };
  std::string pretty = get(rel, "PRETTY_NAME");
  if (pretty.empty()) pretty = std::string(un.sysname) + " " + un.release;
  return {{"hostname", host_name()},
          {"os", {{"name", pretty}, {"id", get(rel, "ID")}, {"version", get(rel, "VERSION_ID")},
                  {"kernel", std::string(un.sysname) + " " + un.release}, {"arch", un.machine}}},
          {"cpu", cpu()},
          {"memory", {{"total", get(mem, "MemTotal")}, {"available", get(mem, "MemAvailable")}}},
          {"disks", disks()},
          {"interfaces", interfaces()},
          {"users", users()}};
}

std::string sysinfo_fingerprint(const Json& info) {
  Json j = info;
  if (j.contains("memory") && j["memory"].is_object()) j["memory"].erase("available");
  if (j.contains("disks") && j["disks"].is_array()) {
    for (auto& d : j["disks"]) {
      if (d.is_object()) d.erase("free");
    }
  }
  return j.dump();
}

}  // namespace mw::agent
