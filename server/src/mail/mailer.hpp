// The server's mail queue: mails are sent one at a time by a worker thread (SMTP waits on the
// network for seconds; no I/O thread ever does), retried three times ten seconds apart, then
// dropped with a log line, as MeshCentral does. Bounded: at most kMaxQueued mails wait.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "mail/smtp.hpp"

namespace mw::server::mail {

class Mailer {
 public:
  static constexpr std::size_t kMaxQueued = 1000;
  // `id_host`: the server's name, for Message-ID.
  Mailer(SmtpSettings settings, std::string id_host);
  ~Mailer();  // stops the worker; mails not yet sent are dropped (and counted in the log)
  Mailer(const Mailer&) = delete;
  Mailer& operator=(const Mailer&) = delete;

  // Queues a mail; false (and a log line) when the queue is full or the address is invalid.
  bool send(Mail mail);
  // Checks the server from the worker and logs "SMTP mail server HOST:PORT working as expected."
  // or why not (MeshCentral checks at start the same way).
  void verify();

  const SmtpSettings& settings() const { return settings_; }
  std::uint64_t sent() const { return sent_.load(); }
  std::uint64_t failed() const { return failed_.load(); }

 private:
  struct Job {
    bool verify = false;
    Mail mail;
    int attempts = 0;
  };
  void run();
  void deliver(Job& job);

  const SmtpSettings settings_;
  const std::string id_host_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
  std::atomic<bool> cancel_{false};  // set when stopping: ends a transfer in progress
  std::atomic<std::uint64_t> sent_{0}, failed_{0};
  std::thread worker_;
};

}  // namespace mw::server::mail
