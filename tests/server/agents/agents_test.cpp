// server/src/agents without sockets: admitting agents to groups, their system information,
// which rights open which relay, the relay hub's limits, the agent proof's keys, and the
// settings file an agent is given.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../accounts/accounts_fixture.hpp"
#include "agents/admission.hpp"
#include "agents/agent_downloads.hpp"
#include "agents/agent_keys.hpp"
#include "agents/mesh_relay.hpp"
#include "certs.hpp"
#include "mw/proto/agent.hpp"

namespace mw::server::agents {
namespace {

using accounts::testing::AccountsFixture;
using Json = nlohmann::json;
namespace pa = proto::agent;

class Agents : public AccountsFixture {};

TEST_F(Agents, NewAgentGetsARecordNamedAfterItsComputerAndAnEvent) {
  const auto mesh = create_mesh(admin, "Office");
  auto a = admit_agent(*db, "", mesh, "KEYID", "pc-17", "10.0.0.5", {{"ver", "0.1.0"}});
  ASSERT_TRUE(a.ok) << a.reason;
  EXPECT_EQ(a.nodeid, "node//KEYID");
  const auto n = get("node//KEYID");
  EXPECT_EQ(n.value("name", ""), "pc-17");
  EXPECT_EQ(n.value("meshid", ""), mesh);
  EXPECT_EQ(n.value("mtype", 0), 2);
  EXPECT_EQ(n.value("ip", ""), "10.0.0.5");
  ASSERT_EQ(a.events.size(), 1u);
  EXPECT_EQ(a.events[0].event.value("action", ""), "addnode");

  // Reconnecting: no new event; a device an administrator moved and renamed stays so.
  const auto other = create_mesh(admin, "Lab");
  auto moved = n;
  moved["meshid"] = other;
  moved["name"] = "reception";
  ASSERT_TRUE(db->put(moved));
  auto again = admit_agent(*db, "", mesh, "KEYID", "pc-17", "10.0.0.6", {{"ver", "0.1.0"}});
  ASSERT_TRUE(again.ok);
  EXPECT_TRUE(again.events.empty());
  EXPECT_EQ(again.meshid, other);
  EXPECT_EQ(get("node//KEYID").value("name", ""), "reception");
  EXPECT_EQ(get("node//KEYID").value("ip", ""), "10.0.0.6");
}

TEST_F(Agents, AgentsAreRefusedForGroupsTheyCannotJoin) {
  EXPECT_FALSE(admit_agent(*db, "", "mesh//nosuch", "K", "pc", "ip", {}).ok);
  const auto mesh = create_mesh(admin, "Office");
  EXPECT_FALSE(admit_agent(*db, "other", mesh, "K", "pc", "ip", {}).ok);  // another domain's agent
  auto amt = get(mesh);
  amt["mtype"] = 1;
  ASSERT_TRUE(db->put(amt));
  auto r = admit_agent(*db, "", mesh, "K", "pc", "ip", {});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("Intel AMT only"), std::string::npos);
  amt["mtype"] = 2;
  amt["deleted"] = "2026-01-01";
  ASSERT_TRUE(db->put(amt));
  EXPECT_FALSE(admit_agent(*db, "", mesh, "K", "pc", "ip", {}).ok);
  EXPECT_TRUE(get("node//K").is_null());
}

TEST_F(Agents, SysinfoIsStoredAndTheOsShownOnTheDevice) {
  const auto mesh = create_mesh(admin, "Office");
  ASSERT_TRUE(admit_agent(*db, "", mesh, "K", "pc", "ip", {}).ok);
  Json info{{"hostname", "pc"}, {"os", {{"name", "Debian GNU/Linux 12 (bookworm)"}}}, {"cpu", {{"cores", 2}}}};
  auto events = record_sysinfo(*db, "node//K", info);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.value("action", ""), "changenode");
  EXPECT_EQ(get("node//K").value("osdesc", ""), "Debian GNU/Linux 12 (bookworm)");
  EXPECT_TRUE(record_sysinfo(*db, "node//K", info).empty());  // unchanged: no event
  auto out = run(admin, {{"action", "getsysinfo"}, {"nodeid", "node//K"}});
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0]["data"]["cpu"]["cores"], 2);
  // A user without rights on the group does not learn anything.
  make_user("stranger");
  EXPECT_EQ(result("user//stranger", {{"action", "getsysinfo"}, {"nodeid", "node//K"}}), "Access Denied");
}

TEST_F(Agents, RelayRightsFollowTheRemoteControlAndNoBits) {
  using namespace accounts;
  const auto mesh = create_mesh(admin, "Office");
  const auto node = add_node(mesh, "pc");
  make_user("u");
  auto set_rights = [&](std::uint32_t r) {
    auto u = get("user//u");
    u["links"] = {{mesh, {{"rights", r}}}};
    ASSERT_TRUE(db->put(u));
  };
  const auto kT = pa::RelayProtocol::kTerminal, kD = pa::RelayProtocol::kDesktop, kF = pa::RelayProtocol::kFiles;
  struct Row {
    std::uint32_t rights;
    bool terminal, desktop, files;
  };
  const Row rows[] = {
      {mesh_right::kRemoteControl, true, true, true},
      {mesh_right::kRemoteControl | mesh_right::kNoTerminal, false, true, true},
      {mesh_right::kRemoteControl | mesh_right::kNoDesktop, true, false, true},
      {mesh_right::kRemoteControl | mesh_right::kNoFiles, true, true, false},
      {mesh_right::kManageDevices | mesh_right::kEditGroup | mesh_right::kWake, false, false, false},
      {mesh_right::kFull, true, true, true},
  };
  for (const auto& row : rows) {
    set_rights(row.rights);
    EXPECT_EQ(check_relay_grant(*db, "user//u", node, kT).error.empty(), row.terminal) << row.rights;
    EXPECT_EQ(check_relay_grant(*db, "user//u", node, kD).error.empty(), row.desktop) << row.rights;
    EXPECT_EQ(check_relay_grant(*db, "user//u", node, kF).error.empty(), row.files) << row.rights;
  }
  set_rights(0);
  EXPECT_EQ(check_relay_grant(*db, "user//u", node, kT).error, "Device not found.");
  EXPECT_EQ(check_relay_grant(*db, "user//u", "node//nosuch", kT).error, "Device not found.");
}

struct NullEnd : RelayEnd {
  void deliver(bool, std::string, std::function<void()>) override {}
  void paired(std::shared_ptr<RelayEnd>) override {}
  void peer_closed(std::string) override {}
};

TEST(RelayHub, IdsAreSingleUseAndUsersLimited) {
  RelayHub hub;
  auto b = std::make_shared<NullEnd>();
  auto id = hub.wait_for_agent(b, "node//x", "user//a");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 32u);  // 128 bits
  EXPECT_EQ(hub.take("not-" + *id), nullptr);
  EXPECT_EQ(hub.take(*id), b);
  EXPECT_EQ(hub.take(*id), nullptr);  // used
  // A browser that has gone is not found either.
  auto gone = std::make_shared<NullEnd>();
  auto id2 = hub.wait_for_agent(gone, "node//x", "user//a");
  gone.reset();
  EXPECT_EQ(hub.take(*id2), nullptr);
  // Per user: kMaxPerUser at once (two are held above), freed by release().
  for (std::size_t i = 2; i < RelayHub::kMaxPerUser; ++i) ASSERT_TRUE(hub.wait_for_agent(b, "node//x", "user//a"));
  auto over = hub.wait_for_agent(b, "node//x", "user//a");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "limit");
  EXPECT_TRUE(hub.wait_for_agent(b, "node//x", "user//other"));
  hub.release("user//a");
  EXPECT_TRUE(hub.wait_for_agent(b, "node//x", "user//a"));
}

TEST(AgentKeys, ServerProofVerifiesWithThePinnedIdAndAgentProofsAreChecked) {
  store::testing::TempDir dir;
  const auto certs = CertificateStore::load_or_create(dir.path(), "mesh.test", CertAlgorithm::kEcdsaP384);
  const ServerAgentKey key(certs.agent().cert_pem, certs.agent().key_pem);
  EXPECT_EQ(key.server_id().size(), 96u);
  // The same files give the same id (agents keep trusting a restarted server).
  EXPECT_EQ(ServerAgentKey(certs.agent().cert_pem, certs.agent().key_pem).server_id(), key.server_id());
  const Bytes data = {1, 2, 3};
  EXPECT_FALSE(key.sign(data).empty());

  // An agent's EC key: a good signature passes, a changed transcript does not.
  EVP_PKEY* ec = EVP_EC_gen("P-384");
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(ec, &der);
  const Bytes spki(der, der + n);
  OPENSSL_free(der);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(md, nullptr, EVP_sha384(), nullptr, ec);
  EVP_DigestSign(md, nullptr, &len, data.data(), data.size());
  Bytes sig(len);
  EVP_DigestSign(md, sig.data(), &len, data.data(), data.size());
  sig.resize(len);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(ec);
  EXPECT_TRUE(verify_agent(spki, data, sig));
  EXPECT_EQ(verify_agent(spki, Bytes{1, 2, 4}, sig).error().code, "bad-signature");
  EXPECT_EQ(verify_agent(Bytes{0x30, 0x03, 1, 2, 3}, data, sig).error().code, "bad-key");
  // Weak keys are refused before any signature check.
  EVP_PKEY* rsa = EVP_RSA_gen(1024);
  der = nullptr;
  const int m = i2d_PUBKEY(rsa, &der);
  const Bytes weak(der, der + m);
  OPENSSL_free(der);
  EVP_PKEY_free(rsa);
  EXPECT_EQ(verify_agent(weak, data, sig).error().code, "weak-key");
}

TEST_F(Agents, SettingsFileNamesTheServerTheKeyAndTheGroup) {
  const auto mesh = create_mesh(admin, "Office\nPCs");
  Settings s;
  s.cert = "mesh.example";
  EXPECT_EQ(agent_server_url(s, 443), "wss://mesh.example/agent.ashx");
  EXPECT_EQ(agent_server_url(s, 8443), "wss://mesh.example:8443/agent.ashx");
  s.alias_port = 444;
  EXPECT_EQ(agent_server_url(s, 8443), "wss://mesh.example:444/agent.ashx");
  const std::string id(96, 'a');
  s.alias_port = 0;
  auto text = agent_settings_text(*db, "", mesh.substr(6), s, 443, id);  // as meshctrl shows it
  ASSERT_TRUE(text) << text.error().message;
  auto parsed = pa::parse_settings(*text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->server_url, "wss://mesh.example/agent.ashx");
  EXPECT_EQ(parsed->mesh_id, mesh);
  EXPECT_EQ(parsed->mesh_name, "Office PCs");  // one line per key
  EXPECT_EQ(parsed->server_id, id);
  EXPECT_TRUE(parsed->discovery_key.empty());
  EXPECT_FALSE(agent_settings_text(*db, "", "mesh//nosuch", s, 443, id));
  // LAN mode: MeshCentral's MeshServer=local with the discovery key; the port when not 16989.
  s.lan_only = true;
  s.discovery_key = "lan-secret";
  auto lan = pa::parse_settings(agent_settings_text(*db, "", mesh, s, 443, id).value());
  ASSERT_TRUE(lan);
  EXPECT_EQ(lan->server_url, "local");
  EXPECT_EQ(lan->discovery_key, "lan-secret");
  EXPECT_EQ(lan->discovery_port, 0);
  s.discovery_port = 40123;
  EXPECT_EQ(pa::parse_settings(agent_settings_text(*db, "", mesh, s, 443, id).value())->discovery_port, 40123);
  const auto script = install_script("https://mesh.example", mesh, std::string(96, 'b'));
  EXPECT_NE(script.find("sha384sum -c"), std::string::npos);
  EXPECT_NE(script.find("--install --settings"), std::string::npos);
  EXPECT_NE(script.find("GROUP='" + mesh + "'"), std::string::npos);
}

}  // namespace
}  // namespace mw::server::agents
