// The mail queue (mailer.hpp).
#include "mail/mailer.hpp"

#include <chrono>

#include "log.hpp"

namespace mw::server::mail {

namespace {

constexpr int kAttempts = 3;
constexpr std::chrono::seconds kRetryAfter{10};

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string where(const SmtpSettings& s) { return s.host + ":" + std::to_string(s.port); }

}  // namespace

Mailer::Mailer(SmtpSettings settings, std::string id_host)
    : settings_(std::move(settings)), id_host_(std::move(id_host)), worker_([this] { run(); }) {}

Mailer::~Mailer() {
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cancel_ = true;
    for (const auto& j : queue_) dropped += j.verify ? 0 : 1;
  }
  cv_.notify_all();
  worker_.join();
  if (dropped) logger("mail")->warn("{} mail(s) not sent: the server is stopping", dropped);
}

bool Mailer::send(Mail mail) {
  if (!valid_address(mail.to)) {
    logger("mail")->warn("not sending to \"{}\": not an email address", mail.to);
    return false;
  }
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      logger("mail")->warn("mail queue full ({} waiting): not sending \"{}\" to {}", queue_.size(), mail.subject, mail.to);
      return false;
    }
    queue_.push_back(Job{false, std::move(mail), 0});
  }
  cv_.notify_one();
  return true;
}

void Mailer::verify() {
  if (settings_.console()) {
    logger("mail")->info("SMTP name is \"console\": mails are written to this log, not sent");
    return;
  }
  {
    std::lock_guard lock(mu_);
    queue_.push_front(Job{true, {}, 0});
  }
  cv_.notify_one();
}

void Mailer::run() {
  auto last_sent = std::chrono::steady_clock::time_point{};
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    // emaildelayseconds: space the mails out.
    const auto next = last_sent + std::chrono::seconds(settings_.delay_seconds);
    if (!queue_.front().verify && std::chrono::steady_clock::now() < next) {
      cv_.wait_until(lock, next, [this] { return stop_; });
      if (stop_) return;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    deliver(job);
    if (!job.verify) last_sent = std::chrono::steady_clock::now();
    lock.lock();
    if (job.attempts > 0 && job.attempts < kAttempts) {
      // Failed, not for the last time: try again after a pause (other mails wait too, in order).
      queue_.push_front(std::move(job));
      if (cv_.wait_for(lock, kRetryAfter, [this] { return stop_; })) return;
    }
  }
}

void Mailer::deliver(Job& job) {
  if (job.verify) {
    const auto r = check_server(settings_, &cancel_);
    if (r) {
      logger("mail")->info("SMTP mail server {} working as expected.", where(settings_));
    } else {
      logger("mail")->error("SMTP mail server {} failed: {}", where(settings_), r.error().message);
    }
    return;
  }
  const Mail& m = job.mail;
  if (settings_.console()) {
    logger("mail")->info("Email to {}, subject \"{}\":\n{}", m.to, m.subject, m.text);
    job.attempts = 0;
    sent_.fetch_add(1);
    return;
  }
  const std::string message = build_message(m, settings_.from, now_s(), id_host_);
  const auto r = send_message(settings_, m.to, message, &cancel_);
  if (r) {
    logger("mail")->info("sent \"{}\" to {}", m.subject, m.to);
    job.attempts = 0;
    sent_.fetch_add(1);
    return;
  }
  ++job.attempts;
  if (job.attempts < kAttempts) {
    logger("mail")->warn("sending \"{}\" to {} failed (attempt {}/{}): {}", m.subject, m.to, job.attempts, kAttempts,
                         r.error().message);
  } else {
    logger("mail")->error("sending \"{}\" to {} failed {} times, dropped: {}", m.subject, m.to, kAttempts, r.error().message);
    failed_.fetch_add(1);
    job.attempts = 0;
  }
}

}  // namespace mw::server::mail
