// AsyncStore: the store work runs on its pool, never on the caller's executor, and the result
// comes back on the executor given (keeping its io_context busy until then), in order.
#include "store/async_store.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <thread>

#include "store/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace {

using mw::server::store::AsyncStore;
using mw::server::store::Json;
using mw::server::store::SqliteStore;
using mw::server::store::Store;
using mw::server::store::testing::TempDir;
namespace asio = boost::asio;

std::shared_ptr<Store> open_store(const TempDir& dir) {
  auto s = SqliteStore::open(dir / "db");
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::shared_ptr<Store>(std::move(s).value()) : nullptr;
}

TEST(AsyncStore, RunsTheWorkOffTheExecutorAndCompletesOnIt) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  AsyncStore db(store);
  asio::io_context io;
  const auto io_thread = std::this_thread::get_id();  // io.run() below runs here

  std::thread::id work_thread;
  bool work_on_io = true;
  bool handler_on_io = false;
  std::thread::id handler_thread;
  std::optional<mw::Result<std::optional<Json>>> got;

  db.run(
      io.get_executor(),
      [&](Store& s) {
        work_thread = std::this_thread::get_id();
        work_on_io = io.get_executor().running_in_this_thread();
        auto put = s.put(Json{{"_id", "user//admin"}, {"type", "user"}, {"name", "admin"}});
        EXPECT_TRUE(put);
        return s.get("user//admin");
      },
      [&](mw::Result<std::optional<Json>> r) {
        handler_thread = std::this_thread::get_id();
        handler_on_io = io.get_executor().running_in_this_thread();
        got.emplace(std::move(r));
      });
  // No work guard: the pending store call alone keeps run() from returning early.
  io.run();

  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(*got);
  ASSERT_TRUE((*got)->has_value());
  EXPECT_EQ((**got)->at("name"), "admin");
  EXPECT_FALSE(work_on_io);
  EXPECT_NE(work_thread, io_thread);
  EXPECT_NE(work_thread, std::thread::id());
  EXPECT_TRUE(handler_on_io);
  EXPECT_EQ(handler_thread, io_thread);
}

TEST(AsyncStore, CompletesOnAStrandInSubmissionOrder) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  AsyncStore db(store);
  asio::io_context io;
  auto strand = asio::make_strand(io);
  std::vector<int> order;
  bool all_on_strand = true;
  for (int i = 0; i < 20; ++i) {
    db.run(
        strand,
        [i](Store& s) { return s.put(Json{{"_id", "user//u" + std::to_string(i)}, {"type", "user"}}).ok() ? i : -1; },
        [&](int v) {
          all_on_strand = all_on_strand && strand.running_in_this_thread();
          order.push_back(v);
        });
  }
  db.run(
      strand, [](Store& s) { return s.count("user", std::nullopt); },
      [&](mw::Result<std::int64_t> n) {
        ASSERT_TRUE(n);
        EXPECT_EQ(*n, 20);
        order.push_back(100);
      });
  // Two I/O threads: the strand still serialises the completions.
  std::thread other([&] { io.run(); });
  io.run();
  other.join();
  ASSERT_EQ(order.size(), 21u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(order.back(), 100);
  EXPECT_TRUE(all_on_strand);
}

TEST(AsyncStore, HonoursTheHandlersOwnExecutor) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  AsyncStore db(store);
  asio::io_context io;
  auto strand = asio::make_strand(io);
  bool on_strand = false;
  db.run(io.get_executor(), [](Store& s) { return s.count("node", std::nullopt); },
         asio::bind_executor(strand, [&](mw::Result<std::int64_t>) { on_strand = strand.running_in_this_thread(); }));
  io.run();
  EXPECT_TRUE(on_strand);
}

TEST(AsyncStore, AThrowingCallableSurfacesOnTheExecutor) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  AsyncStore db(store);
  asio::io_context io;
  bool called = false;
  db.run(io.get_executor(), [](Store&) -> int { throw std::runtime_error("boom"); }, [&](int) { called = true; });
  EXPECT_THROW(io.run(), std::runtime_error);
  EXPECT_FALSE(called);
}

}  // namespace
