#include "mw/rfb/intel_amt.hpp"

namespace mw::rfb::amt {

ClientConfig client_config(int flags) {
  ClientConfig c = ClientConfig::intel_amt();
  if (flags & flag::kGray) {
    c.pixel_format = (flags & flag::k4Bit) ? PixelFormat::gray4() : PixelFormat::gray8();
  } else if (flags & flag::k16Bit) {
    c.pixel_format.reset();  // AMT's own RGB565
  } else {
    c.pixel_format = PixelFormat::rgb332();
  }
  c.encodings.clear();
  if (flags & flag::kRle) c.encodings.push_back(encoding::kZrle);
  c.encodings.push_back(encoding::kRaw);
  c.encodings.push_back(encoding::kDesktopSize);
  return c;
}

std::string kvm_ext_cmd(std::uint8_t cmd, std::optional<std::uint8_t> value) {
  std::string s(kExtCmdPrefix);
  s.push_back(static_cast<char>(cmd));
  if (value) s.push_back(static_cast<char>(*value));
  return s;
}

std::string kvm_data_channel(std::string_view payload) {
  std::string s(kDataChannelPrefix);
  s.append(payload);
  return s;
}

CutText parse_cut_text(std::string_view text) {
  if (text.substr(0, kExtCmdPrefix.size()) == kExtCmdPrefix && text.size() > kExtCmdPrefix.size()) {
    ExtCmd e;
    e.cmd = static_cast<std::uint8_t>(text[kExtCmdPrefix.size()]);
    for (std::size_t i = kExtCmdPrefix.size() + 1; i < text.size(); ++i) e.values.push_back(static_cast<std::uint8_t>(text[i]));
    return e;
  }
  // The data channel prefix; byte 15 (its closing NUL) set by AMT marks an acknowledgement.
  if (text.size() >= kDataChannelPrefix.size() && text.substr(0, 15) == kDataChannelPrefix.substr(0, 15)) {
    DataChannel d;
    d.payload = std::string(text.substr(kDataChannelPrefix.size()));
    d.acknowledges = text.size() == kDataChannelPrefix.size() || text[15] != '\0';
    return d;
  }
  return Clipboard{std::string(text)};
}

}  // namespace mw::rfb::amt
