// Durability: a child process writes records and events in a loop, reporting each one through a
// pipe once its commit has returned; it is killed mid-write (SIGKILL, and SIGTERM with its
// default action). After reopening, every record it reported must be there and the file must
// pass the integrity check (done by open).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <set>

#include "store/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace {

using mw::server::store::EventQuery;
using mw::server::store::Json;
using mw::server::store::SqliteStore;
using mw::server::store::testing::TempDir;

[[noreturn]] void child_writer(const std::filesystem::path& file, int out) {
  auto opened = SqliteStore::open(file);
  if (!opened) _exit(2);
  auto& s = *opened.value();
  for (std::int64_t i = 0; i < 1000000; ++i) {
    Json n = {{"_id", "node//n" + std::to_string(i)}, {"type", "node"}, {"meshid", "mesh//m"},
              {"domain", ""}, {"name", std::string(200, 'x')}};
    if (!s.put(n)) _exit(3);
    if (i % 4 == 0 && !s.add_event(Json{{"etype", "node"}, {"action", "addnode"}, {"domain", ""},
                                        {"nodeid", n["_id"]}, {"ids", {"mesh//m"}}})) {
      _exit(4);
    }
    // Committed: tell the parent.
    if (::write(out, &i, sizeof i) != static_cast<ssize_t>(sizeof i)) _exit(5);
  }
  _exit(0);
}

class StoreCrash : public ::testing::TestWithParam<int> {};

TEST_P(StoreCrash, KilledWriterLosesNoCommittedRecord) {
  TempDir dir;
  const auto file = dir / "meshwork.db";
  ASSERT_TRUE(SqliteStore::open(file));  // create the schema first

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    child_writer(file, fds[1]);
  }
  ::close(fds[1]);

  std::set<std::int64_t> reported;
  std::int64_t i = 0;
  bool killed = false;
  while (::read(fds[0], &i, sizeof i) == static_cast<ssize_t>(sizeof i)) {
    reported.insert(i);
    // Kill it in the middle of its work, once it has committed a good number of records.
    if (!killed && reported.size() == 300) {
      ASSERT_EQ(::kill(pid, GetParam()), 0);
      killed = true;
    }
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer ended on its own, status " << status;
  EXPECT_EQ(WTERMSIG(status), GetParam());
  ASSERT_GE(reported.size(), 300u);

  auto reopened = SqliteStore::open(file);
  ASSERT_TRUE(reopened) << reopened.error().message;
  auto& s = *reopened.value();
  for (const auto id : reported) {
    auto got = s.get("node//n" + std::to_string(id));
    ASSERT_TRUE(got);
    ASSERT_TRUE(got->has_value()) << "committed record node//n" << id << " is missing";
  }
  const auto nodes = s.count("node", std::nullopt).value();
  EXPECT_GE(nodes, static_cast<std::int64_t>(reported.size()));
  EXPECT_LE(nodes, static_cast<std::int64_t>(reported.size()) + 1);  // at most the one in flight
  std::size_t events_expected = 0;
  for (const auto id : reported) events_expected += (id % 4 == 0) ? 1 : 0;
  EXPECT_GE(s.query_events(EventQuery{}).value().size(), events_expected);
}

INSTANTIATE_TEST_SUITE_P(Signals, StoreCrash, ::testing::Values(SIGKILL, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(p.param == SIGKILL ? "SIGKILL" : "SIGTERM");
                         });

}  // namespace
