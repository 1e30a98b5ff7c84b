// Big- and little-endian integer access over spans, checked against the end on every call.
#include "mw/util/bytes.hpp"

namespace mw::util {

bool ByteReader::u8(std::uint8_t& out) {
  if (remaining() < 1) return false;
  out = data_[pos_++];
  return true;
}

bool ByteReader::u16(std::uint16_t& out) {
  if (remaining() < 2) return false;
  out = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return true;
}

bool ByteReader::u32(std::uint32_t& out) {
  if (remaining() < 4) return false;
  out = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
        (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
  pos_ += 4;
  return true;
}

bool ByteReader::u64(std::uint64_t& out) {
  std::uint32_t hi = 0;
  std::uint32_t lo = 0;
  if (remaining() < 8) return false;
  u32(hi);
  u32(lo);
  out = (std::uint64_t{hi} << 32) | lo;
  return true;
}

bool ByteReader::u16le(std::uint16_t& out) {
  if (remaining() < 2) return false;
  out = static_cast<std::uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
  pos_ += 2;
  return true;
}

bool ByteReader::u32le(std::uint32_t& out) {
  if (remaining() < 4) return false;
  out = std::uint32_t{data_[pos_]} | (std::uint32_t{data_[pos_ + 1]} << 8) |
        (std::uint32_t{data_[pos_ + 2]} << 16) | (std::uint32_t{data_[pos_ + 3]} << 24);
  pos_ += 4;
  return true;
}

bool ByteReader::bytes(std::size_t n, std::span<const std::uint8_t>& out) {
  if (remaining() < n) return false;
  out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::string(std::size_t n, std::string& out) {
  std::span<const std::uint8_t> s;
  if (!bytes(n, s)) return false;
  out.assign(reinterpret_cast<const char*>(s.data()), s.size());
  return true;
}

bool ByteReader::skip(std::size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

ByteWriter& ByteWriter::u8(std::uint8_t v) {
  out_.push_back(v);
  return *this;
}

ByteWriter& ByteWriter::u16(std::uint16_t v) {
  out_.push_back(static_cast<std::uint8_t>(v >> 8));
  out_.push_back(static_cast<std::uint8_t>(v));
  return *this;
}

ByteWriter& ByteWriter::u32(std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out_.push_back(static_cast<std::uint8_t>(v >> s));
  return *this;
}

ByteWriter& ByteWriter::u64(std::uint64_t v) {
  u32(static_cast<std::uint32_t>(v >> 32));
  return u32(static_cast<std::uint32_t>(v));
}

ByteWriter& ByteWriter::u16le(std::uint16_t v) {
  out_.push_back(static_cast<std::uint8_t>(v));
  out_.push_back(static_cast<std::uint8_t>(v >> 8));
  return *this;
}

ByteWriter& ByteWriter::u32le(std::uint32_t v) {
  for (int s = 0; s <= 24; s += 8) out_.push_back(static_cast<std::uint8_t>(v >> s));
  return *this;
}

ByteWriter& ByteWriter::bytes(std::span<const std::uint8_t> v) {
  out_.insert(out_.end(), v.begin(), v.end());
  return *this;
}

ByteWriter& ByteWriter::bytes(std::string_view v) {
  out_.insert(out_.end(), v.begin(), v.end());
  return *this;
}

}  // namespace mw::util
