// HTTP/1.1 framing: an incremental message parser in the style of llhttp/h11 (bytes in, complete
// messages out, no I/O) and the builders of the WS-Man POST and of the device's responses.
// Message framing follows RFC 9112 section 6: chunked wins over Content-Length, conflicting or
// malformed lengths are errors, responses without either run to the end of the stream.
#include "mw/wsman/http.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "text.hpp"

namespace mw::wsman {
namespace {

using text::iequals;

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Field values may hold visible characters, spaces and tabs, and obs-text; never CR, LF or NUL.
bool valid_field_value(std::string_view v) {
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

// Calls f for each comma-separated element of a list-valued field, trimmed.
template <typename F>
void for_each_element(std::string_view v, F f) {
  while (true) {
    const auto comma = v.find(',');
    const std::string_view item = trim_ows(v.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

bool has_token(std::string_view list, std::string_view token) {
  bool found = false;
  for_each_element(list, [&](std::string_view item) { found = found || iequals(item, token); });
  return found;
}

}  // namespace

// [SECTION] HttpMessage

std::string_view HttpMessage::header(std::string_view name) const {
  for (const HttpHeader& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

bool HttpMessage::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const HttpHeader& h) { return iequals(h.name, name); });
}

bool HttpMessage::keep_alive() const {
  bool close = false;
  bool keep = false;
  for (const HttpHeader& h : headers) {
    if (!iequals(h.name, "Connection")) continue;
    close = close || has_token(h.value, "close");
    keep = keep || has_token(h.value, "keep-alive");
  }
  if (close) return false;
  return version_minor >= 1 || keep;
}

// [SECTION] Parser

HttpParser::HttpParser(HttpRole role) : HttpParser(role, HttpLimits{}) {}

HttpParser::HttpParser(HttpRole role, HttpLimits limits) : role_(role), limits_(limits) {}

bool HttpParser::idle() const { return state_ == State::kStartLine && line_.empty(); }

Result<std::size_t> HttpParser::fail(std::string code, std::string message) {
  state_ = State::kError;
  error_ = make_error(std::move(code), std::move(message));
  return *error_;
}

Result<std::size_t> HttpParser::feed(std::string_view data, std::vector<HttpMessage>& out) {
  return feed(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), out);
}

Result<std::size_t> HttpParser::feed(std::span<const std::uint8_t> data, std::vector<HttpMessage>& out) {
  if (state_ == State::kError) return *error_;
  const char* p = reinterpret_cast<const char*>(data.data());
  std::size_t n = data.size();
  std::size_t added = 0;
  while (n > 0) {
    switch (state_) {
      case State::kBody:
      case State::kChunkData: {
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n));
        current_.body.append(p, take);
        p += take;
        n -= take;
        remaining_ -= take;
        if (remaining_ == 0) {
          if (state_ == State::kBody)
            complete(out, added);
          else
            state_ = State::kChunkEnd;
        }
        break;
      }
      case State::kUntilClose: {
        if (current_.body.size() + n > limits_.max_body)
          return fail("http-body-too-large", "body exceeds " + std::to_string(limits_.max_body) + " bytes");
        current_.body.append(p, n);
        n = 0;
        break;
      }
      case State::kError:
        return *error_;
      default: {  // line-oriented states
        const void* nl = std::memchr(p, '\n', n);
        const std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - p) : n;
        if (line_.size() + len > limits_.max_line)
          return fail("http-line-too-long", "a line exceeds " + std::to_string(limits_.max_line) + " bytes");
        line_.append(p, len);
        if (!nl) {
          n = 0;
          break;
        }
        p += len + 1;
        n -= len + 1;
        std::string line = std::move(line_);
        line_.clear();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (auto err = on_line(line, out, added)) {
          state_ = State::kError;
          error_ = std::move(err);
          return *error_;
        }
        break;
      }
    }
  }
  return added;
}

Result<std::size_t> HttpParser::finish(std::vector<HttpMessage>& out) {
  if (state_ == State::kError) return *error_;
  std::size_t added = 0;
  if (state_ == State::kUntilClose) {
    complete(out, added);
    return added;
  }
  if (idle()) return added;
  return fail("http-truncated", "the stream ended inside a message");
}

std::optional<Error> HttpParser::on_line(std::string_view line, std::vector<HttpMessage>& out, std::size_t& added) {
  switch (state_) {
    case State::kStartLine:
      if (line.empty()) return std::nullopt;  // tolerated blank lines between messages (RFC 9112 2.2)
      return on_start_line(line);
    case State::kHeaders:
      if (line.empty()) return on_headers_end(out, added);
      return on_header_line(line);
    case State::kChunkSize:
      return on_chunk_size(line);
    case State::kChunkEnd:
      if (!line.empty()) return make_error("http-bad-chunk", "chunk data not followed by CRLF");
      state_ = State::kChunkSize;
      return std::nullopt;
    case State::kTrailers:
      if (line.empty()) {
        complete(out, added);
        return std::nullopt;
      }
      header_bytes_ += line.size() + 2;
      if (header_bytes_ > limits_.max_header_bytes)
        return make_error("http-headers-too-large", "trailers exceed the header limit");
      return std::nullopt;  // trailer fields are not used
    default:
      return make_error("http-internal", "line in a body state");
  }
}

std::optional<Error> HttpParser::on_start_line(std::string_view line) {
  current_ = HttpMessage{};
  header_bytes_ = line.size() + 2;
  auto bad = [&] {
    return make_error("http-bad-start-line", "malformed " + std::string(role_ == HttpRole::kResponse ? "status" : "request") +
                                                 " line '" + std::string(line.substr(0, 60)) + "'");
  };
  auto version = [&](std::string_view v) {
    if (v.size() != 8 || v.substr(0, 7) != "HTTP/1." || v[7] < '0' || v[7] > '9') return false;
    current_.version_minor = v[7] - '0';
    return true;
  };
  if (role_ == HttpRole::kResponse) {
    // HTTP/1.1 SP 3DIGIT SP reason-phrase (the last space and the phrase are tolerated missing)
    if (line.size() < 12 || !version(line.substr(0, 8)) || line[8] != ' ') return bad();
    const std::string_view code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) return bad();
    if (line.size() > 12 && line[12] != ' ') return bad();
    current_.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (current_.status < 100) return bad();
    current_.reason = std::string(line.size() > 13 ? line.substr(13) : std::string_view());
    if (!valid_field_value(current_.reason)) return bad();
  } else {
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return bad();
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (!is_token(method) || target.empty() || !version(line.substr(sp2 + 1))) return bad();
    for (char c : target)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return bad();
    current_.method = std::string(method);
    current_.target = std::string(target);
  }
  state_ = State::kHeaders;
  return std::nullopt;
}

std::optional<Error> HttpParser::on_header_line(std::string_view line) {
  header_bytes_ += line.size() + 2;
  if (header_bytes_ > limits_.max_header_bytes)
    return make_error("http-headers-too-large", "headers exceed " + std::to_string(limits_.max_header_bytes) + " bytes");
  if (current_.headers.size() >= limits_.max_headers)
    return make_error("http-too-many-headers", "more than " + std::to_string(limits_.max_headers) + " headers");
  if (line.front() == ' ' || line.front() == '\t')
    return make_error("http-bad-header", "obsolete line folding is not accepted");
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
    return make_error("http-bad-header", "malformed header line '" + std::string(line.substr(0, 60)) + "'");
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (!valid_field_value(value)) return make_error("http-bad-header", "control character in a header value");
  current_.headers.push_back(HttpHeader{std::string(line.substr(0, colon)), std::string(value)});
  return std::nullopt;
}

std::optional<Error> HttpParser::on_headers_end(std::vector<HttpMessage>& out, std::size_t& added) {
  const bool response = role_ == HttpRole::kResponse;
  if (response && current_.status >= 100 && current_.status < 200 && current_.status != 101) {
    state_ = State::kStartLine;  // interim response: the final one follows
    return std::nullopt;
  }
  // Transfer-Encoding: only "chunked" is understood (nothing compresses WS-Man bodies).
  bool has_te = false;
  bool chunked_last = false;
  std::optional<Error> te_error;
  for (const HttpHeader& h : current_.headers) {
    if (!iequals(h.name, "Transfer-Encoding")) continue;
    has_te = true;
    for_each_element(h.value, [&](std::string_view coding) {
      if (chunked_last) te_error = make_error("http-bad-transfer-encoding", "chunked is not the last coding");
      if (iequals(coding, "chunked"))
        chunked_last = true;
      else if (!te_error)
        te_error = make_error("http-unsupported-encoding", "transfer coding '" + std::string(coding.substr(0, 40)) + "'");
    });
  }
  if (te_error) return te_error;
  // Content-Length: every value (repeated or listed) must be the same number.
  std::optional<std::uint64_t> length;
  for (const HttpHeader& h : current_.headers) {
    if (!iequals(h.name, "Content-Length")) continue;
    std::optional<Error> cl_error;
    bool any = false;
    for_each_element(h.value, [&](std::string_view v) {
      any = true;
      std::uint64_t x = 0;
      if (!std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          !text::parse_unsigned(v, x) || (length && *length != x))
        cl_error = make_error("http-bad-content-length", "invalid Content-Length '" + std::string(v.substr(0, 30)) + "'");
      else
        length = x;
    });
    if (!any) cl_error = make_error("http-bad-content-length", "empty Content-Length");
    if (cl_error) return cl_error;
  }
  if (has_te && length && !response)
    return make_error("http-bad-content-length", "request with both Transfer-Encoding and Content-Length");

  const bool no_body = response && (current_.status == 204 || current_.status == 304 || current_.status == 101);
  if (no_body) {
    complete(out, added);
  } else if (has_te) {
    state_ = State::kChunkSize;
  } else if (length) {
    if (*length > limits_.max_body)
      return make_error("http-body-too-large", "Content-Length " + std::to_string(*length) + " exceeds " +
                                                   std::to_string(limits_.max_body));
    remaining_ = *length;
    current_.body.reserve(static_cast<std::size_t>(*length));
    if (remaining_ == 0)
      complete(out, added);
    else
      state_ = State::kBody;
  } else if (response) {
    state_ = State::kUntilClose;
  } else {
    complete(out, added);  // a request without framing has no body
  }
  return std::nullopt;
}

std::optional<Error> HttpParser::on_chunk_size(std::string_view line) {
  std::string_view size = line.substr(0, line.find(';'));  // chunk extensions are ignored
  size = trim_ows(size);
  std::uint64_t n = 0;
  if (size.empty() || size.size() > 15 ||
      !std::all_of(size.begin(), size.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }) ||
      !text::parse_unsigned(size, n, 16))
    return make_error("http-bad-chunk", "malformed chunk size '" + std::string(line.substr(0, 30)) + "'");
  if (n == 0) {
    state_ = State::kTrailers;
    return std::nullopt;
  }
  if (current_.body.size() + n > limits_.max_body)
    return make_error("http-body-too-large", "chunked body exceeds " + std::to_string(limits_.max_body) + " bytes");
  remaining_ = n;
  state_ = State::kChunkData;
  return std::nullopt;
}

void HttpParser::complete(std::vector<HttpMessage>& out, std::size_t& added) {
  out.push_back(std::move(current_));
  current_ = HttpMessage{};
  ++added;
  state_ = State::kStartLine;
  header_bytes_ = 0;
  remaining_ = 0;
}

// [SECTION] Builders

namespace {

std::optional<Error> append_header(std::string& out, std::string_view name, std::string_view value) {
  if (!is_token(name) || !valid_field_value(value))
    return make_error("http-bad-header", "header '" + std::string(name.substr(0, 40)) + "' cannot be sent");
  out.append(name).append(": ").append(value).append("\r\n");
  return std::nullopt;
}

}  // namespace

Result<std::string> build_http_post(const HttpPost& post, std::string_view body) {
  if (post.target.empty() || post.target.find_first_of(" \r\n\t") != std::string::npos)
    return make_error("http-bad-header", "invalid request target");
  std::string out;
  out.reserve(256 + body.size());
  out.append("POST ").append(post.target).append(" HTTP/1.1\r\n");
  if (auto e = append_header(out, "Host", post.host)) return *e;
  if (!post.authorization.empty())
    if (auto e = append_header(out, "Authorization", post.authorization)) return *e;
  if (!post.content_type.empty())
    if (auto e = append_header(out, "Content-Type", post.content_type)) return *e;
  for (const HttpHeader& h : post.extra_headers)
    if (auto e = append_header(out, h.name, h.value)) return *e;
  if (auto e = append_header(out, "Content-Length", std::to_string(body.size()))) return *e;
  out.append("\r\n").append(body);
  return out;
}

std::string_view http_reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

Result<std::string> build_http_response(const HttpResponseHead& head, std::string_view body) {
  if (head.status < 100 || head.status > 999) return make_error("http-bad-header", "invalid status code");
  const std::string_view reason = head.reason.empty() ? http_reason_phrase(head.status) : std::string_view(head.reason);
  if (!valid_field_value(reason)) return make_error("http-bad-header", "invalid reason phrase");
  std::string out;
  out.reserve(256 + body.size() + body.size() / 256);
  out.append("HTTP/1.1 ").append(std::to_string(head.status)).append(" ").append(reason).append("\r\n");
  for (const HttpHeader& h : head.headers)
    if (auto e = append_header(out, h.name, h.value)) return *e;
  if (head.framing == BodyFraming::kChunked) {
    if (auto e = append_header(out, "Transfer-Encoding", "chunked")) return *e;
    out.append("\r\n");
    const std::size_t chunk = std::max<std::size_t>(1, head.chunk_size);
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (std::size_t pos = 0; pos < body.size(); pos += chunk) {
      const std::size_t n = std::min(chunk, body.size() - pos);
      std::string size;
      for (std::size_t v = n; v > 0; v >>= 4) size.insert(size.begin(), kHex[v & 0xF]);
      out.append(size).append("\r\n").append(body.substr(pos, n)).append("\r\n");
    }
    out.append("0\r\n\r\n");
  } else {
    if (auto e = append_header(out, "Content-Length", std::to_string(body.size()))) return *e;
    out.append("\r\n").append(body);
  }
  return out;
}

}  // namespace mw::wsman
