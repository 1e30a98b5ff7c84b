// HTTP/1.1 framing for WS-Management as text codecs: building the POST /wsman request and the
// device's responses, and an incremental parser (for responses on the client, requests on the
// device) that takes bytes as they arrive and gives complete messages: status/request line,
// headers, and a body framed by Content-Length, chunked transfer coding, or the end of the stream.
// Every line, the header block and the body have caps; an error is final for the parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::wsman {

struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

struct HttpMessage {
  std::string method;  // requests
  std::string target;
  int status = 0;      // responses
  std::string reason;
  int version_minor = 1;  // HTTP/1.<minor>
  std::vector<HttpHeader> headers;
  std::string body;  // de-chunked

  // Value of the first header of that name (case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // Whether the connection stays open after this message (HTTP/1.1 unless "Connection: close").
  bool keep_alive() const;
};

struct HttpLimits {
  std::size_t max_line = 8 * 1024;           // start line, header line, chunk-size line
  std::size_t max_header_bytes = 64 * 1024;  // all header (and trailer) lines of one message
  std::size_t max_headers = 100;
  std::size_t max_body = 8 * 1024 * 1024;
};

enum class HttpRole { kResponse, kRequest };

class HttpParser {
 public:
  explicit HttpParser(HttpRole role);
  HttpParser(HttpRole role, HttpLimits limits);

  // Parses what it can; complete messages are appended to `out`. Returns how many were added.
  // Interim 1xx responses are consumed and not reported.
  Result<std::size_t> feed(std::span<const std::uint8_t> data, std::vector<HttpMessage>& out);
  Result<std::size_t> feed(std::string_view data, std::vector<HttpMessage>& out);
  // The peer closed: completes a response whose body runs to the end of the stream; a message
  // cut short is "http-truncated".
  Result<std::size_t> finish(std::vector<HttpMessage>& out);
  // True between messages (nothing of a next message received yet).
  bool idle() const;

 private:
  enum class State { kStartLine, kHeaders, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailers, kUntilClose, kError };
  Result<std::size_t> fail(std::string code, std::string message);
  std::optional<Error> on_line(std::string_view line, std::vector<HttpMessage>& out, std::size_t& added);
  std::optional<Error> on_start_line(std::string_view line);
  std::optional<Error> on_header_line(std::string_view line);
  std::optional<Error> on_headers_end(std::vector<HttpMessage>& out, std::size_t& added);
  std::optional<Error> on_chunk_size(std::string_view line);
  void complete(std::vector<HttpMessage>& out, std::size_t& added);

  HttpRole role_;
  HttpLimits limits_;
  State state_ = State::kStartLine;
  std::string line_;
  HttpMessage current_;
  std::size_t header_bytes_ = 0;
  std::uint64_t remaining_ = 0;
  std::optional<Error> error_;
};

// [SECTION] Building

struct HttpPost {
  std::string host;  // "<host-or-uuid>:<port>"
  std::string target = "/wsman";
  std::string authorization;  // full field value ("Digest ..."), empty to omit
  std::string content_type = "application/soap+xml;charset=UTF-8";  // empty to omit (MeshCommander)
  std::vector<HttpHeader> extra_headers;
};
// "POST /wsman HTTP/1.1" with Host, Authorization, Content-Type, Content-Length and the body.
// Fails ("http-bad-header") on a header name or value that would break the framing.
Result<std::string> build_http_post(const HttpPost& post, std::string_view body);

enum class BodyFraming { kContentLength, kChunked };

struct HttpResponseHead {
  int status = 200;
  std::string reason;  // empty: the standard phrase
  std::vector<HttpHeader> headers;
  BodyFraming framing = BodyFraming::kContentLength;
  std::size_t chunk_size = 4096;  // largest chunk when chunked (AMT answers 200s chunked)
};
Result<std::string> build_http_response(const HttpResponseHead& head, std::string_view body);
std::string_view http_reason_phrase(int status);

}  // namespace mw::wsman
