// Intel AMT's end of IDE-R (session.hpp): used by the amtsim simulator.
#include <string>

#include "mw/ider/session.hpp"

namespace mw::ider {

DeviceSession::DeviceSession(DeviceConfig config) : config_(std::move(config)) {}

void DeviceSession::send(std::uint8_t opcode, std::uint8_t attributes, std::span<const std::uint8_t> body, Output& out) {
  encode_to(opcode, attributes, body, sequence_, out.send);
}

void DeviceSession::fail(Output& out, std::string code, std::string message) {
  if (finished_) return;
  finished_ = true;
  busy_.reset();
  data_.clear();
  out.events.emplace_back(Failed{make_error(std::move(code), std::move(message))});
}

Output DeviceSession::feed(std::span<const std::uint8_t> bytes) {
  Output out;
  if (finished_) return out;
  std::vector<Frame> frames;
  auto r = splitter_.feed(bytes, frames);
  for (auto& f : frames) {
    if (finished_) break;
    on_frame(f, out);
  }
  if (!r) fail(out, r.error().code, r.error().message);
  return out;
}

void DeviceSession::on_frame(Frame& f, Output& out) {
  auto reply = [&](std::uint8_t type, std::uint32_t value) {
    send(kDisableEnableFeaturesReply, 0, encode_features({type, value}), out);
  };
  switch (f.opcode) {
    case kOpenSession: {
      if (opened_) return fail(out, "ider-protocol", "the console opened the IDE-R session twice");
      timeouts_ = decode_timeouts(f.body);
      opened_ = true;
      send(kOpenSessionReply, 0, encode_device_info(config_.info), out);
      out.events.emplace_back(Opened{config_.info, timeouts_});
      return;
    }
    case kCloseSession:
      send(kCloseSessionReply, 0, {}, out);
      finished_ = true;
      busy_.reset();
      out.events.emplace_back(Closed{});
      return;
    case kKeepAlivePing: return send(kKeepAlivePong, 0, {}, out);
    case kKeepAlivePong:
    case kHeartbeat: return;
    case kResetOccurredResponse: resetting_ = false; return;
    case kDisableEnableFeatures: {
      const Features request = decode_features(f.body);
      const std::uint8_t type = request.type;
      if (type == kRegsToggle) {
        StartMode mode{};
        if (start_mode_from_toggle(request.value, mode)) {
          enabled_ = true;
          mode_ = mode;
          out.events.emplace_back(Toggled{true, mode});
        } else {
          enabled_ = false;
          out.events.emplace_back(Toggled{false, mode_});
        }
        return reply(kRegsToggle, 1);
      }
      if (type == kRegsAvailable) return reply(kRegsAvailable, 1);
      if (type == kRegsStatus) return reply(kRegsStatus, enabled_ ? 2 : 0);
      return reply(type, 0);
    }
    case kCommandEndResponse: {
      if (!busy_ || resetting_) return;  // an answer to a command the bus reset dropped
      auto s = decode_command_end(f.body);
      if (!s) return fail(out, s.error().code, s.error().message);
      CommandDone done{*busy_, *s, {}};
      if (s->ok()) done.data = std::move(data_);
      data_.clear();
      busy_.reset();
      out.events.emplace_back(std::move(done));
      return;
    }
    case kDataToHost: {
      if (!busy_ || resetting_) return;
      auto d = data_of(f.opcode, f.body);
      if (!d) return fail(out, d.error().code, d.error().message);
      if (d->size() > config_.info.read_buffer) {
        return fail(out, "ider-chunk", "the console sent " + std::to_string(d->size()) + " bytes in one DataToHost, over the read buffer");
      }
      if (data_.size() + d->size() > config_.max_data) {
        return fail(out, "ider-too-much-data", "the console sent more data than the command asked for");
      }
      data_.insert(data_.end(), d->begin(), d->end());
      if (f.attributes & kAttrLast) {
        CommandDone done{*busy_, Sense{}, std::move(data_)};
        data_.clear();
        busy_.reset();
        out.events.emplace_back(std::move(done));
      }
      return;
    }
    case kGetDataFromHost:  // this end never writes
      return fail(out, "ider-protocol", "the console asked for write data no command carries");
    default: return;
  }
}

Output DeviceSession::command(Drive drive, const std::array<std::uint8_t, kCdbSize>& cdb) {
  Output out;
  if (finished_) return out;
  if (busy_) {
    fail(out, "ider-busy", "an IDE-R command was written before the last one was answered");
    return out;
  }
  busy_ = drive;
  data_.clear();
  Command c;
  c.drive = drive;
  c.byte_count = 0xFFFE;
  c.cdb = cdb;
  send(kCommandWritten, 0, encode_command(c), out);
  return out;
}

Output DeviceSession::reset() {
  Output out;
  if (finished_) return out;
  busy_.reset();
  data_.clear();
  resetting_ = true;
  const std::uint8_t mask = 0x01;
  send(kResetOccurred, 0, {&mask, 1}, out);
  return out;
}

Output DeviceSession::tick(std::uint64_t now_ms) {
  Output out;
  if (finished_ || !opened_ || timeouts_.heartbeat_ms == 0) return out;
  if (heartbeat_.due(now_ms, timeouts_.heartbeat_ms)) send(kHeartbeat, 0, {}, out);
  return out;
}

Output DeviceSession::close() {
  Output out;
  if (finished_) return out;
  send(kCloseSessionReply, 0, {}, out);
  finished_ = true;
  busy_.reset();
  return out;
}

}  // namespace mw::ider
