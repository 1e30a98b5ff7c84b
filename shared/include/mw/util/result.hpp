// Result<T>: a value or an error, for codecs whose errors are values (no exceptions, no aborts).
// The wasm toolchain's libc++ (clang 14) has no std::expected, so this is the project's small one.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mw {

struct Error {
  std::string code;     // stable, machine-readable ("truncated", "bad-base64", ...)
  std::string message;  // for people: what was wrong and where
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T value_or(T fallback) const { return ok() ? value() : fallback; }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

inline Error make_error(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

}  // namespace mw
