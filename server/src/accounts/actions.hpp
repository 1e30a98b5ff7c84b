// The control channel's actions on accounts, device groups and devices, with MeshCentral's
// action names, fields and answers (so its meshctrl tool works unchanged). Synchronous against
// a Store: the server runs them on the store's own thread (AsyncStore), one at a time, which
// makes every read-modify-write of a record atomic without locks. Rights are checked once, in
// handle_action, from the policy table (rights.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accounts/model.hpp"
#include "accounts/presence.hpp"
#include "mw/proto/agent.hpp"
#include "store/store.hpp"

namespace mw::server::accounts {

// An event for the sessions subscribed to any of `targets` (see subscriptions()); `event` is the
// inner object ({etype, action, msg, ...}); sessions send {"action":"event","event":...}.
struct Dispatch {
  std::vector<std::string> targets;
  Json event;
};

// Intel AMT work an action asks for, carried out by the AMT manager (amt/amt_manager.hpp) once
// the action's records are stored: a power action, or reading the device again after its
// credentials changed.
struct AmtJob {
  enum class Kind { kInventory, kPower, kRead };
  Kind kind = Kind::kInventory;
  std::string nodeid;
  std::string meshid;
  int power_state = 0;  // CIM RequestPowerStateChange value (2 on, 8 off, 10 reset, ...)
  std::string userid, username;
  // kRead ("amtinfo"): "hardware", "eventlog" or "auditlog", answered to the caller only.
  std::string what;
  Json responseid;
};

// "Scan network" (scanamtdevice) allowed: the range to probe, for the server's AMT scanner.
struct AmtScanJob {
  std::string range;               // as the caller wrote it
  std::uint32_t first = 0, last = 0;  // IPv4, host order, inclusive
  Json responseid;
};

// A shell command for a device's agent ("runcommands"), sent by the control session once the
// action's checks and event are done. `responseid` is the caller's, echoed in the answers.
struct AgentCommandJob {
  std::string nodeid;
  std::string cmds;
  bool reply = false;
  Json responseid;
  int type = 3;                 // 3 shell commands, 4 one agent console command
  bool console_answer = false;  // answered as {"action":"msg","type":"console","value"} (the web UI's console)
};

// A message for the person at a device ("toast"; "msg" of type "messagebox"), allowed by the chat
// and notify right, for the control session to hand to the device's agent.
struct AgentNotice {
  std::string nodeid;
  proto::agent::Notify notice;  // what the agent is sent
  // "msg" is answered by the control session, which knows whether the agent is connected:
  // {"action":"msg","result":"OK" or "Unable to route"} with the caller's responseid and tag.
  bool answer = false;
  Json responseid, tag;
};

// A mail about an account for the account mailer (accounts/account_mail.hpp), sent once the
// action's records are stored: the email verification link, or the password reset link.
// Or (kInvite, MeshCentral's "inviteAgent") the agent install instructions of a device group, for
// someone who is not a user: `to`, the group, who invites, their name for the recipient and note.
struct MailJob {
  enum class Kind { kVerify, kReset, kInvite };
  Kind kind = Kind::kVerify;
  Json user;  // kVerify, kReset: the user record as stored; kInvite: the inviting user
  std::string to, meshid, group_name, recipient, note;  // kInvite
  static MailJob about(Kind kind, Json user) {
    MailJob j;
    j.kind = kind;
    j.user = std::move(user);
    return j;
  }
};

struct Outcome {
  std::vector<Json> replies;                // to the caller, in order
  std::vector<std::string> text_replies;    // to the caller after `replies`: answers built as text
  std::vector<Dispatch> events;             // already stored; to be pushed live
  std::vector<std::string> users_changed;   // users whose record (rights, links) changed
  bool caller_gone = false;                 // the caller's account no longer exists or is locked
  std::vector<AmtJob> amt_jobs;             // for the AMT manager, in order
  std::vector<AgentCommandJob> agent_jobs;  // for connected agents, in order
  std::vector<std::string> agent_uninstalls;  // devices whose connected agent is asked to uninstall itself
  std::vector<AgentNotice> agent_notices;     // messages for the people at devices
  // "serverstats" was allowed: what the database knows (UserAccounts, DeviceGroups, responseid);
  // the control channel adds the live figures (connections, memory) and sends it.
  std::optional<Json> server_stats;
  std::optional<AmtScanJob> amt_scan;  // for the control channel's AMT scanner
  std::vector<MailJob> mails;          // for the account mailer, when mail is configured
};

// What an administrator needs to point Intel AMT's CIRA at this server (ciraconfig).
struct CiraInfo {
  std::string host;  // MpsCert or Cert
  int port = 0;      // MpsAliasPort or the bound MpsPort
  std::string password;
  std::string root_cert_sha384;  // hash of the root certificate Intel AMT must trust
  std::string root_cert_pem;
};

struct ActionEnv {
  std::string domain;        // the session's domain id
  PasswordRules rules;       // PasswordRequirements of that domain
  int hash_iterations = 0;   // 0 = auth::kPbkdf2Iterations
  std::int64_t now_ms = 0;   // 0 = the clock
  PresenceTable* presence = nullptr;  // live connectivity: "nodes" adds conn and pwr from it
  const std::vector<std::uint8_t>* amt_key = nullptr;  // seals Intel AMT credentials (amt/credentials.hpp)
  const CiraInfo* cira = nullptr;                      // null when the MPS is off
  bool wan_only = false;                               // WanOnly: no LAN scanning
  std::string title = "Meshwork";                      // the domain's Title: notifications without one
  bool email_check = false;  // mail verification is on (Settings::email_check): changeemail and verifyemail send mail
};

// Runs one control message for the user `caller_id`. Unknown actions get no answer (as
// MeshCentral); refused ones get {action, responseid, result: "Access denied"}-style answers.
Outcome handle_action(store::Store& db, const ActionEnv& env, const std::string& caller_id, const Json& cmd);

// Account creation shared by the login page, --createaccount and adduser. The first account of a
// domain becomes its full administrator. Errors: "bad-username", "exists", "bad-password"
// (message is the rule's text), "bad-email", or the store's.
struct NewAccount {
  std::string name;
  std::string password;
  std::string email;
  std::string realname;
  std::optional<std::uint32_t> siteadmin;
  bool reset_next_login = false;
};
mw::Result<Json> create_account(store::Store& db, const ActionEnv& env, const NewAccount& account,
                                const Json* creator, Outcome* out);

// Sets a new password (rules checked) and records it; for the login page and --resetaccount.
mw::Result<Json> set_password(store::Store& db, const ActionEnv& env, const std::string& userid,
                              const std::string& password, Outcome* out);

// Whether a user record's address is verified ("emailVerified": true).
bool email_verified(const Json& user);
// Whether another account of `domain` than `userid` has verified `email` (a verified address
// belongs to one account).
mw::Result<bool> verified_elsewhere(store::Store& db, const std::string& domain, const std::string& email,
                                    const std::string& userid);

// The user records of a domain (for /login: does the domain have accounts yet?).
mw::Result<std::int64_t> count_users(store::Store& db, const std::string& domain);

// Stores an event and adds it to `out` for live dispatch.
void record_event(store::Store& db, Outcome& out, std::vector<std::string> targets, Json event);
// A stored change of a device record `n`, as the "changenode" event MeshCentral sends for it.
void record_node_change(store::Store& s, Outcome& out, const Json& n, std::string msg);

}  // namespace mw::server::accounts
