// Encoding of redirection messages: fixed little-endian layouts, see messages.hpp.
#include "mw/redir/messages.hpp"

#include <algorithm>
#include <type_traits>

#include "mw/util/bytes.hpp"

namespace mw::redir {
namespace {

using mw::util::ByteWriter;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void header(ByteWriter& w, std::uint8_t command, std::uint8_t status = 0) {
  w.u8(command).u8(status).u8(0).u8(0);
}

void settings(ByteWriter& w, const SolSettings& s) {
  w.u16le(s.max_tx_buffer)
      .u16le(s.tx_timeout)
      .u16le(s.tx_overflow_timeout)
      .u16le(s.rx_timeout)
      .u16le(s.rx_flush_timeout)
      .u16le(s.heartbeat_interval);
}

void sequenced(ByteWriter& w, std::uint8_t command, std::uint32_t sequence) {
  header(w, command);
  w.u32le(sequence);
}

void sol_data(ByteWriter& w, std::uint8_t command, std::uint32_t sequence,
              const std::vector<std::uint8_t>& data) {
  const std::size_t n = std::min(data.size(), kMaxSolPayload);
  sequenced(w, command, sequence);
  w.u16le(static_cast<std::uint16_t>(n));
  w.bytes(std::span<const std::uint8_t>(data.data(), n));
}

void auth(ByteWriter& w, std::uint8_t command, std::uint8_t status, AuthType type,
          const std::vector<std::uint8_t>& data) {
  header(w, command, status);
  w.u8(static_cast<std::uint8_t>(type));
  w.u32le(static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), 0xFFFFFFFFu)));
  w.bytes(data);
}

void write(ByteWriter& w, const Message& message) {
  std::visit(
      Overloaded{
          [&](const StartRedirectionSession& m) {
            w.u8(0x10).u8(m.flags).u8(0).u8(0).u32le(static_cast<std::uint32_t>(m.type));
          },
          [&](const EndRedirectionSession&) { header(w, 0x12); },
          [&](const AuthenticateSession& m) { auth(w, 0x13, 0, m.auth_type, m.data); },
          [&](const StartSol& m) {
            sequenced(w, 0x20, m.sequence);
            settings(w, m.settings);
            w.u32le(0);
          },
          [&](const EndSol& m) { sequenced(w, 0x22, m.sequence); },
          [&](const KeepAlivePing& m) { sequenced(w, 0x24, m.sequence); },
          [&](const SolControlsToHost& m) {
            sequenced(w, 0x27, m.sequence);
            w.bytes(m.data);
          },
          [&](const SolDataToHost& m) { sol_data(w, 0x28, m.sequence, m.data); },
          [&](const KvmStart&) { w.u8(0x40).u8(0).u8(0).u8(0).u32le(0); },
          [&](const StartRedirectionSessionReply& m) {
            // A refusal is still sent at full length: amtterm waits for 13 bytes before it
            // looks at the status.
            const std::size_t n = std::min<std::size_t>(m.oem_data.size(), 0xFF);
            header(w, 0x11, m.status);
            w.u8(m.protocol_major).u8(m.protocol_minor).u8(m.firmware_major).u8(m.firmware_minor);
            w.u32le(m.oem_iana).u8(static_cast<std::uint8_t>(n));
            w.bytes(std::span<const std::uint8_t>(m.oem_data.data(), n));
          },
          [&](const AuthenticateSessionReply& m) { auth(w, 0x14, m.status, m.auth_type, m.data); },
          [&](const StartSolReply& m) {
            header(w, 0x21, m.status);
            w.u8(m.version_major).u8(m.version_minor);
            settings(w, m.settings);
            w.u32le(m.oem_iana).u8(0);
          },
          [&](const EndSolReply& m) { sequenced(w, 0x23, m.sequence); },
          [&](const KeepAlivePong& m) { sequenced(w, 0x25, m.sequence); },
          [&](const SolControlsFromHost& m) {
            sequenced(w, 0x29, m.sequence);
            w.u8(m.control).u8(m.status);
          },
          [&](const SolDataFromHost& m) { sol_data(w, 0x2A, m.sequence, m.data); },
          [&](const KvmStartReply&) { w.u8(0x41).u8(0).u8(0).u8(0).u32le(0); },
          [&](const RecordingNotice&) { w.u8(0xF0); },
          [&](const Heartbeat& m) { sequenced(w, 0x2B, m.sequence); },
          [&](const RawData& m) { w.bytes(m.data); },
      },
      message);
}

}  // namespace

void encode_to(const Message& message, std::vector<std::uint8_t>& out) {
  // ByteWriter owns its vector; build into it and append, moving when `out` is empty.
  ByteWriter w;
  write(w, message);
  if (out.empty()) {
    out = w.take();
  } else {
    const auto& bytes = w.data();
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
}

std::vector<std::uint8_t> encode(const Message& message) {
  ByteWriter w;
  write(w, message);
  return w.take();
}

}  // namespace mw::redir
