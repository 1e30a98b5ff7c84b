// Bounds-checked big-endian reading and writing of wire formats (APF, redirection, RFB).
// ByteReader never reads past its span: every getter reports failure instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mw::util {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  bool u8(std::uint8_t& out);
  bool u16(std::uint16_t& out);
  bool u32(std::uint32_t& out);
  bool u64(std::uint64_t& out);
  bool u16le(std::uint16_t& out);
  bool u32le(std::uint32_t& out);
  // Copies n bytes; fails (consuming nothing) when fewer remain.
  bool bytes(std::size_t n, std::span<const std::uint8_t>& out);
  bool string(std::size_t n, std::string& out);
  bool skip(std::size_t n);

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(std::size_t reserve) { out_.reserve(reserve); }

  ByteWriter& u8(std::uint8_t v);
  ByteWriter& u16(std::uint16_t v);
  ByteWriter& u32(std::uint32_t v);
  ByteWriter& u64(std::uint64_t v);
  ByteWriter& u16le(std::uint16_t v);
  ByteWriter& u32le(std::uint32_t v);
  ByteWriter& bytes(std::span<const std::uint8_t> v);
  ByteWriter& bytes(std::string_view v);

  const std::vector<std::uint8_t>& data() const& { return out_; }
  std::vector<std::uint8_t> take() { return std::move(out_); }
  std::size_t size() const { return out_.size(); }

 private:
  std::vector<std::uint8_t> out_;
};

}  // namespace mw::util
