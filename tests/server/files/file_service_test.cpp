// native/ FileService on a real temporary folder: the agent's real paths and the server's jail,
// traversal and links out refused, the protocol's answers, transfers, resume and the quota.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "../store/temp_dir.hpp"
#include "mw/native/file_service.hpp"

namespace mw::native {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using server::store::testing::TempDir;

void write_file(const fs::path& p, std::size_t n, char c = 'x') {
  std::ofstream out(p, std::ios::binary);
  out << std::string(n, c);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One request's first answer.
Json ask(FileService& svc, const Json& req) {
  auto step = svc.on_text(req.dump());
  EXPECT_FALSE(step.replies.empty());
  return step.replies.empty() ? Json() : step.replies.front();
}

// Uploads `bytes` in chunks of `chunk`; the answers after "ready", in order.
std::vector<Json> upload(FileService& svc, const std::string& path, const std::string& bytes, std::size_t chunk,
                         bool resume = false) {
  std::vector<Json> answers;
  auto step = svc.on_text(Json{{"op", "upload"}, {"id", 7}, {"path", path}, {"size", bytes.size()}, {"resume", resume}}.dump());
  EXPECT_FALSE(step.replies.empty());
  if (step.replies.empty() || step.replies[0]["op"] != "ready") return step.replies;
  for (std::size_t i = 1; i < step.replies.size(); ++i) answers.push_back(step.replies[i]);
  for (std::size_t at = step.replies[0]["offset"].get<std::size_t>(); at < bytes.size(); at += chunk) {
    const auto n = std::min(chunk, bytes.size() - at);
    if (auto a = svc.on_binary({reinterpret_cast<const std::uint8_t*>(bytes.data() + at), n})) answers.push_back(*a);
  }
  return answers;
}

TEST(FileService, AgentShowsRealPathsAndKeepsToItsRoot) {
  TempDir dir;
  fs::create_directories(dir / "root/docs");
  write_file(dir / "root/docs/a.txt", 5);
  write_file(dir / "secret.txt", 3);
  fs::create_symlink(dir / "secret.txt", dir / "root/link-out");
  FileService svc(dir / "root");
  const std::string root = (dir / "root").string();
  EXPECT_EQ(svc.greeting(), (Json{{"op", "root"}, {"path", root}}));  // no quota: no usage either

  const Json ls = ask(svc, {{"op", "ls"}, {"id", 1}, {"path", root + "/docs"}});
  EXPECT_EQ(ls["op"], "ls");
  EXPECT_EQ(ls["path"], root + "/docs");
  ASSERT_EQ(ls["entries"].size(), 1u);
  EXPECT_EQ(ls["entries"][0]["name"], "a.txt");
  EXPECT_EQ(ls["entries"][0]["size"], 5);
  EXPECT_FALSE(ls.contains("used"));

  for (const std::string& bad : std::vector<std::string>{"/etc", root + "/../secret.txt", root + "/docs/../../secret.txt", root + "/link-out",
                                std::string("relative"), std::string(""), root + std::string("/a\0b", 4)}) {
    const Json e = ask(svc, {{"op", "ls"}, {"id", 2}, {"path", bad}});
    EXPECT_EQ(e["op"], "error") << bad;
    EXPECT_EQ(e["id"], 2);
  }
  const Json out = ask(svc, {{"op", "download"}, {"id", 3}, {"path", root + "/link-out"}});
  EXPECT_EQ(out["op"], "error");
  EXPECT_NE(out["reason"].get<std::string>().find("leads outside"), std::string::npos) << out;
}

TEST(FileService, JailShowsPathsFromItsRootAndNeverTheRealFolder) {
  TempDir dir;
  fs::create_directories(dir / "store/sub");
  write_file(dir / "outside.txt", 3);
  fs::create_symlink(dir / "outside.txt", dir / "store/escape");
  FileService svc(FileService::Options{dir / "store", true, 0});
  EXPECT_EQ(svc.greeting()["path"], "/");
  EXPECT_EQ(ask(svc, {{"op", "ls"}, {"id", 1}, {"path", "/"}})["path"], "/");
  EXPECT_EQ(ask(svc, {{"op", "ls"}, {"id", 1}, {"path", "/sub/"}})["path"], "/sub");
  // ".." stops at the jail's root, as at "/".
  const Json up = ask(svc, {{"op", "ls"}, {"id", 1}, {"path", "/../../.."}});
  EXPECT_EQ(up["path"], "/");
  EXPECT_EQ(up["entries"].size(), 2u);  // sub, escape

  const std::string real = dir.path().string();
  std::vector<Json> answers = {
      ask(svc, {{"op", "download"}, {"id", 2}, {"path", "/escape"}}),
      ask(svc, {{"op", "ls"}, {"id", 3}, {"path", "/nothing-here"}}),
      ask(svc, {{"op", "mkdir"}, {"id", 4}, {"path", "/sub"}}),
      ask(svc, {{"op", "rm"}, {"id", 5}, {"path", "/"}, {"recursive", true}}),
      ask(svc, {{"op", "rename"}, {"id", 6}, {"path", "/sub"}, {"to", "/escape"}}),
      ask(svc, {{"op", "upload"}, {"id", 7}, {"path", "/sub"}, {"size", 1}}),
  };
  for (const auto& a : answers) {
    EXPECT_EQ(a["op"], "error") << a;
    EXPECT_EQ(a["reason"].get<std::string>().find(real), std::string::npos) << "real folder revealed: " << a;
  }
  EXPECT_NE(answers[0]["reason"].get<std::string>().find("leads outside this storage"), std::string::npos);
  EXPECT_NE(answers[2]["reason"].get<std::string>().find("/sub"), std::string::npos);

  // What a jail may do inside.
  EXPECT_EQ(ask(svc, {{"op", "mkdir"}, {"id", 8}, {"path", "/new"}})["op"], "ok");
  EXPECT_TRUE(fs::is_directory(dir / "store/new"));
  EXPECT_EQ(ask(svc, {{"op", "rename"}, {"id", 9}, {"path", "/new"}, {"to", "/sub/moved"}})["op"], "ok");
  EXPECT_TRUE(fs::is_directory(dir / "store/sub/moved"));
  EXPECT_EQ(ask(svc, {{"op", "rm"}, {"id", 10}, {"path", "/sub"}, {"recursive", true}})["op"], "ok");
  EXPECT_FALSE(fs::exists(dir / "store/sub"));
  EXPECT_TRUE(fs::exists(dir / "outside.txt"));
}

TEST(FileService, UploadThenDownloadGivesTheSameBytesWithProgressOnTheWay) {
  TempDir dir;
  FileService svc(FileService::Options{dir.path(), true, 0});
  std::string bytes(3 * (1u << 20) + 123, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + (i >> 9));
  const auto answers = upload(svc, "/big.bin", bytes, 64 * 1024);
  ASSERT_EQ(answers.size(), 4u);  // progress at 1, 2 and 3 MiB, then done
  EXPECT_EQ(answers[0]["op"], "progress");
  EXPECT_EQ(answers[0]["bytes"], 1u << 20);
  EXPECT_EQ(answers[3], (Json{{"op", "done"}, {"id", 7}, {"size", bytes.size()}}));
  EXPECT_EQ(read_file(dir / "big.bin"), bytes);
  EXPECT_FALSE(fs::exists(dir / "big.bin.mwpart"));

  auto step = svc.on_text(Json{{"op", "download"}, {"id", 8}, {"path", "/big.bin"}, {"offset", 1000}}.dump());
  ASSERT_TRUE(step.download);
  EXPECT_EQ(step.replies.at(0), (Json{{"op", "download"}, {"id", 8}, {"size", bytes.size()}, {"offset", 1000}}));
  std::string got(bytes.size() - 1000, '\0');
  step.download->in.read(got.data(), static_cast<std::streamsize>(got.size()));
  EXPECT_EQ(got, bytes.substr(1000));
  EXPECT_EQ(FileService::download_end(step.id, *step.download, true), (Json{{"op", "done"}, {"id", 8}, {"size", bytes.size()}}));
  EXPECT_EQ(FileService::download_end(step.id, *step.download, false)["op"], "error");

  // More bytes than announced end the upload with an error.
  auto ready = svc.on_text(Json{{"op", "upload"}, {"id", 9}, {"path", "/small"}, {"size", 2}}.dump());
  ASSERT_EQ(ready.replies.at(0)["op"], "ready");
  const std::uint8_t three[3] = {1, 2, 3};
  EXPECT_EQ(svc.on_binary(three).value()["op"], "error");
  EXPECT_FALSE(svc.uploading());
}

TEST(FileService, ResumeKeepsWhatArrivedAndAnEmptyFileIsDoneAtOnce) {
  TempDir dir;
  FileService svc(FileService::Options{dir.path(), true, 0});
  write_file(dir / "f.mwpart", 4, 'a');
  auto step = svc.on_text(Json{{"op", "upload"}, {"id", 1}, {"path", "/f"}, {"size", 6}, {"resume", true}}.dump());
  ASSERT_EQ(step.replies.size(), 1u);
  EXPECT_EQ(step.replies[0]["offset"], 4);
  const std::uint8_t rest[2] = {'b', 'b'};
  EXPECT_EQ(svc.on_binary(rest).value()["op"], "done");
  EXPECT_EQ(read_file(dir / "f"), "aaaabb");

  auto empty = svc.on_text(Json{{"op", "upload"}, {"id", 2}, {"path", "/empty"}, {"size", 0}}.dump());
  ASSERT_EQ(empty.replies.size(), 2u);
  EXPECT_EQ(empty.replies[1]["op"], "done");
  EXPECT_TRUE(fs::is_regular_file(dir / "empty"));
}

TEST(FileService, QuotaRefusesWhatWouldPassItAndCountsWhatAnUploadReplaces) {
  TempDir dir;
  fs::create_directories(dir / "sub");
  write_file(dir / "sub/old.bin", 6000);
  FileService svc(FileService::Options{dir.path(), true, 10000});
  EXPECT_EQ(svc.usage(), 6000u);
  const Json greeting = svc.greeting();
  EXPECT_EQ(greeting["used"], 6000);
  EXPECT_EQ(greeting["quota"], 10000);
  EXPECT_EQ(ask(svc, {{"op", "ls"}, {"id", 1}, {"path", "/sub"}})["used"], 6000);

  const Json refused = ask(svc, {{"op", "upload"}, {"id", 2}, {"path", "/new.bin"}, {"size", 5000}});
  EXPECT_EQ(refused["op"], "error");
  EXPECT_EQ(refused["reason"], "Not enough space: /new.bin needs 4.9 KiB, and 3.9 KiB of 9.8 KiB is free.");
  EXPECT_FALSE(fs::exists(dir / "new.bin.mwpart"));  // refused before a byte is written

  // Replacing the 6,000-byte file with 9,000 bytes fits: the old bytes go.
  const auto answers = upload(svc, "/sub/old.bin", std::string(9000, 'y'), 4096);
  ASSERT_FALSE(answers.empty());
  EXPECT_EQ(answers.back()["op"], "done");
  EXPECT_EQ(answers.back()["used"], 9000);
  EXPECT_EQ(ask(svc, {{"op", "upload"}, {"id", 3}, {"path", "/one-more.bin"}, {"size", 1001}})["op"], "error");
  EXPECT_EQ(ask(svc, {{"op", "upload"}, {"id", 4}, {"path", "/one-more.bin"}, {"size", 1000}})["op"], "ready");
}

TEST(FileService, HostileRequestsGetErrorsNeverExceptions) {
  TempDir dir;
  FileService svc(FileService::Options{dir.path(), true, 100});
  for (const std::string& req : std::vector<std::string>{"not json", std::string("[1,2]"), std::string("{\"op\":5}"), std::string("{}"),
                                std::string("{\"op\":\"ls\",\"path\":7}"), std::string("{\"op\":\"rm\",\"path\":\"/x\",\"recursive\":\"yes\"}"),
                                std::string("{\"op\":\"upload\",\"path\":\"/x\",\"size\":-5}"),
                                std::string("{\"op\":\"download\",\"path\":\"/\",\"offset\":\"0\"}"),
                                "{\"op\":\"ls\",\"path\":\"/" + std::string(5000, 'a') + "\"}", std::string("{\"op\":\"nuke\",\"path\":\"/\"}")}) {
    FileService::Step step;
    ASSERT_NO_THROW(step = svc.on_text(req)) << req;
    ASSERT_EQ(step.replies.size(), 1u) << req;
    EXPECT_FALSE(step.download);
    EXPECT_EQ(step.replies[0]["op"], "error") << req;
  }
  // A chunk with no upload under way is ignored.
  const std::uint8_t b[1] = {0};
  EXPECT_FALSE(svc.on_binary(b));
}

}  // namespace
}  // namespace mw::native
