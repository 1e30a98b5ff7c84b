// The client end of a WS-Management conversation with Intel AMT over one byte stream (a TCP
// connection to port 16992, or an APF channel to it through a CIRA connection): HTTP/1.1 POSTs
// of envelopes with Digest authentication, one request at a time as AMT serves them.
//
// The first request goes without credentials; AMT's 401 carries the Digest challenge and the
// request is sent again with an Authorization (later requests carry one at once, nc counting up).
// A second 401 for the same request — wrong user or password — ends it with
// "wsman-unauthorized" (a stale nonce gets one more try). Sans-I/O: send(), then write
// take_output() to the device; feed() what the device sends until it gives the result.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "mw/util/result.hpp"
#include "mw/wsman/digest.hpp"
#include "mw/wsman/envelope.hpp"
#include "mw/wsman/http.hpp"

namespace mw::wsman {

class Client {
 public:
  struct Options {
    std::string host;  // the Host header: "<address or uuid>:16992"
    std::string username = "admin";
    std::string password;
    std::string pinned_realm;  // refuse challenges of another realm (empty: any)
    HttpLimits limits;
  };
  // `random_hex(n)` gives n random bytes as lower-case hex (cnonces, message ids).
  Client(Options options, std::function<std::string(std::size_t)> random_hex);

  // Starts a request (its MessageID is filled in here). False while another is in flight, after
  // the stream closed, or when the request cannot be written (a value XML cannot carry).
  bool send(Request request);
  bool busy() const { return pending_.has_value(); }
  // Bytes to write to the device.
  std::string take_output();
  // Bytes from the device; the result of the request in flight once its answer is complete: the
  // parsed response (a WS-Management fault is a response with `fault` set) or an error
  // ("wsman-unauthorized", "wsman-http-status", "http-*", "xml-*", a check_reply error...).
  // After an HTTP framing error the stream is unusable (closed() is true).
  std::optional<Result<Response>> feed(std::span<const std::uint8_t> data);
  // The device closed the stream: the request in flight (if any) fails with "wsman-closed".
  std::optional<Result<Response>> end_of_stream();
  // The device asked to close the connection after its last answer, or the framing broke.
  bool closed() const { return closed_; }
  // The realm of the device (from its challenge), empty before the first 401.
  std::string realm() const;

 private:
  std::optional<Result<Response>> on_message(const HttpMessage& message);
  std::optional<Error> write_pending();

  Options options_;
  std::function<std::string(std::size_t)> random_hex_;
  DigestClient digest_;
  HttpParser parser_;
  std::optional<Request> pending_;
  std::string pending_body_;
  int attempts_ = 0;  // sends of the request in flight
  std::string out_;
  bool closed_ = false;
};

}  // namespace mw::wsman
