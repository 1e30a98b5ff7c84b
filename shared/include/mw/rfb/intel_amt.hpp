// Intel AMT KVM over RFB (fact sheet docs/protocols/rfb.md §6, from MeshCommander's amt-desktop):
// the colour/compression modes AMT offers and the client configuration for each, and Intel's
// extensions carried in cut-text messages (KvmExtCmd to set decimation and zlib, KvmDataChannel
// for the in-band data channel).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mw/rfb/client.hpp"

namespace mw::rfb::amt {

// MeshCommander's encoding option flags (combined: 1 RLE8 256 colours, 3 RLE16, 5 RLE8 grey,
// 21 RLE4 grey, 9 ZRLE8, 11 ZRLE16, 13 ZRLE8 grey, 29 ZRLE4 grey).
namespace flag {
constexpr int kRle = 1;      // ask for ZRLE ("RLE"); without it, Raw only
constexpr int k16Bit = 2;    // RGB565 (AMT's own format) instead of RGB332
constexpr int kGray = 4;     // grey (AMT 16 and later, IPS_KVMRedirectionSettingData says so)
constexpr int kZlib = 8;     // compressed deflate blocks (KvmExtCmd 4 = 1); else stored blocks
constexpr int k4Bit = 16;    // 4-bit grey
}  // namespace flag

// The client configuration for a mode: pixel format (RGB565 is AMT's own, sent without
// SetPixelFormat), encodings ZRLE?, Raw (AMT requires it), DesktopSize; security None.
ClientConfig client_config(int flags);

// Largest framebuffer AMT serves: bytes per pixel x width x height above this is "too large"
// (MeshCommander disconnects).
constexpr std::uint64_t kMaxFramebufferBytes = 9'216'000;

// [SECTION] Intel cut-text extensions

constexpr std::string_view kExtCmdPrefix{"\0KvmExtCmd\0", 11};
constexpr std::string_view kDataChannelPrefix{"\0KvmDataChannel\0", 16};

namespace ext_cmd {
constexpr std::uint8_t kDecimationState = 1;  // AMT reports: value = mode, next = state
constexpr std::uint8_t kSetDecimation = 2;    // 0 don't set, 1 disable, 2 auto, 3 enable
constexpr std::uint8_t kCompressionState = 3;
constexpr std::uint8_t kSetZlib = 4;          // 0 off (stored blocks only), 1 on
}  // namespace ext_cmd

// The ClientCutText text of a KvmExtCmd (send with Client::cut_text).
std::string kvm_ext_cmd(std::uint8_t cmd, std::optional<std::uint8_t> value = std::nullopt);
// KvmDataChannel: the prefix alone is the keep-alive (at most every 5 s).
std::string kvm_data_channel(std::string_view payload = {});

struct ExtCmd {
  std::uint8_t cmd = 0;
  std::vector<std::uint8_t> values;
};
struct DataChannel {
  std::string payload;
  // An incoming message of exactly the prefix, or with byte 15 != 0, acknowledges our last send.
  bool acknowledges = false;
};
struct Clipboard {
  std::string text;
};
using CutText = std::variant<ExtCmd, DataChannel, Clipboard>;

// What a ServerCutText from AMT carries.
CutText parse_cut_text(std::string_view text);

}  // namespace mw::rfb::amt
