// AsyncStore: how I/O threads use the store without blocking. It owns a small thread pool (one
// thread by default: SQLite has one writer, so more threads would only queue on its lock), runs a
// callable against the Store there, and delivers the callable's result on the executor the
// caller names (its strand or io_context).
//
//   db.run(strand, [id](Store& s) { return s.get(id); },
//          [self](mw::Result<std::optional<Json>> r) { self->on_node(std::move(r)); });
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "store/store.hpp"

namespace mw::server::store {

class AsyncStore {
 public:
  explicit AsyncStore(std::shared_ptr<Store> store, std::size_t threads = 1);
  // Waits for the work already queued (its results are still posted to their executors).
  ~AsyncStore();
  AsyncStore(const AsyncStore&) = delete;
  AsyncStore& operator=(const AsyncStore&) = delete;

  // Runs `work(Store&)` on the pool and completes `token` (a handler taking the result; any Asio
  // completion token) on `ex`, or on the handler's own associated executor when it has one.
  // The executor is kept busy (outstanding work) until then, so its io_context does not return
  // from run() early. `work` returns a value (the store's results are mw::Result, never thrown);
  // if it throws anyway, the exception is rethrown on `ex` where Asio reports handler exceptions
  // (from run()), and the handler is not called.
  template <typename Work, typename Token>
  auto run(boost::asio::any_io_executor ex, Work&& work, Token&& token) {
    using W = std::decay_t<Work>;
    using R = std::decay_t<std::invoke_result_t<W&, Store&>>;
    static_assert(!std::is_void_v<R>, "the work must return its result");
    return boost::asio::async_initiate<Token, void(R)>(
        [this](auto handler, boost::asio::any_io_executor target, W w) {
          // Where the handler runs: its own executor when it has one (a bound strand), else `target`.
          auto tracked = boost::asio::prefer(boost::asio::get_associated_executor(handler, target),
                                             boost::asio::execution::outstanding_work.tracked);
          boost::asio::post(pool_, [store = store_, w = std::move(w), h = std::move(handler),
                                    tracked = std::move(tracked)]() mutable {
            std::exception_ptr failed;
            try {
              R result = w(*store);
              boost::asio::post(tracked, [h = std::move(h), result = std::move(result)]() mutable {
                std::move(h)(std::move(result));
              });
              return;
            } catch (...) {
              failed = std::current_exception();
            }
            boost::asio::post(tracked, [failed] { std::rethrow_exception(failed); });
          });
        },
        token, std::move(ex), W(std::forward<Work>(work)));
  }

  // Waits for all queued work and stops the pool; call run() no more after this.
  void join();

 private:
  std::shared_ptr<Store> store_;
  boost::asio::thread_pool pool_;
};

}  // namespace mw::server::store
