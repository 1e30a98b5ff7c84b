// Control-channel answers for administration views of the browser app: the account list
// ("users", My Users), the server's figures ("serverstats", My Server), the Intel AMT CIRA
// settings of a group ("ciraconfig") and the plain {action, result} answers of requests
// (adduser, createmesh, changepassword, ...), and the output of commands run on devices
// ("runcommands"). Read by clients only, like device_info.hpp.
// Hostile input is normal input: wrong types are skipped or read as 0, lists are capped.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::proto {

// One account of {"action":"users","users":[...]} (never its password hash: the server strips it).
struct Account {
  std::string id;  // "user/<domain>/<name>"
  std::string name, email, realname;
  std::uint32_t siteadmin = 0;                 // site rights (0xFFFFFFFF: full administrator)
  std::int64_t creation = 0;                   // seconds since 1970, 0 when unknown
  bool reset_next_login = false;               // passchange == -1
  std::map<std::string, std::uint32_t> links;  // device group id -> rights
};

// {"action":"serverstats",...}: what My Server shows. Absent figures are 0.
struct ServerStats {
  std::string version;
  double uptime = 0;  // seconds since the server started
  std::uint64_t rss = 0, totalmem = 0, freemem = 0;  // bytes
  double load1 = 0, load5 = 0, load15 = 0;            // cpuavg
  std::uint64_t user_accounts = 0, device_groups = 0, user_sessions = 0, agent_sessions = 0,
                relay_sessions = 0, connected_amt = 0;
  // Meshwork: with peer servers ("peers": {"serverid", "servers": [{"id","url","connected"}]}),
  // this server's id and the others' link state (at most 64 listed).
  struct Peer {
    std::string id, url;
    bool connected = false;
  };
  std::string server_id;
  std::vector<Peer> peers;
};

// {"action":"ciraconfig","meshid":...,"mpshost":...}: how Intel AMT reaches this server's MPS.
struct CiraConfig {
  std::string meshid, result;  // result "ok" or why not
  std::string mps_host;
  int mps_port = 0;
  std::string mps_user, mps_pass, root_sha384;
};

// Any answer carrying {"action":..., "result":...}; responseid as text (numbers are printed).
struct ActionResult {
  std::string action, result, responseid;
};

// What a "runcommands" request brought back for one device: the output with reply
// ({"action":"msg","type":"runcommands","nodeid","result","exitcode"}), or a status without
// output ({"action":"runcommands","nodeid","result":"OK" | "Agent not connected" | ...}).
struct CommandOutput {
  std::string nodeid;  // empty when the server refused before naming a device ("Access denied")
  std::string result;
  int exitcode = 0;
  bool finished = false;  // true: `result` is the commands' output and exitcode is set
};

// The agent console's answer ({"action":"msg","type":"console","nodeid","value"}): a command's
// output, or why it did not run ("Access denied", "The agent is not connected.").
struct ConsoleOutput {
  std::string nodeid;
  std::string value;
};

// {"action":"scanamtdevice","range","results":{"<address>":{"ver","tls","state","hostname"}}}:
// Intel AMT computers a network scan found (results null: the scan could not start), or
// {"action":"scanamtdevice","result":"<why not>"}.
struct AmtScan {
  std::string range, result;  // result: why the scan was refused ("" when it ran)
  bool started = false;
  struct Found {
    std::string address, version;
    int state = 0;     // 2: provisioned (asks for credentials)
    bool tls = false;  // answered on the TLS port only
  };
  std::vector<Found> found;  // in address order as the server sent them
};

Result<std::vector<Account>> parse_user_list(std::string_view text);
Result<ServerStats> parse_server_stats(std::string_view text);
Result<CiraConfig> parse_cira_config(std::string_view text);
Result<ActionResult> parse_action_result(std::string_view text);
// Either form above; an error for other messages.
Result<CommandOutput> parse_command_output(std::string_view text);
Result<ConsoleOutput> parse_console_output(std::string_view text);
Result<AmtScan> parse_amt_scan(std::string_view text);

}  // namespace mw::proto
