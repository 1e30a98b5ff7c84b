// shared/wsman HTTP framing: the POST /wsman request, responses with Content-Length and chunked
// bodies fed whole and byte by byte, pipelining, interim and until-close responses, the device's
// request parsing and responses, and every cap and malformed-framing error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mw/wsman/http.hpp"

namespace {

using namespace mw::wsman;

std::vector<HttpMessage> parse_all(HttpRole role, std::string_view bytes, std::size_t step, HttpLimits limits = {}) {
  HttpParser p(role, limits);
  std::vector<HttpMessage> out;
  for (std::size_t i = 0; i < bytes.size(); i += step) {
    auto r = p.feed(bytes.substr(i, step), out);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message) << " at " << i;
    if (!r.ok()) return out;
  }
  auto f = p.finish(out);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
  return out;
}

std::string error_of(HttpRole role, std::string_view bytes, HttpLimits limits = {}, bool finish = false) {
  HttpParser p(role, limits);
  std::vector<HttpMessage> out;
  auto r = p.feed(bytes, out);
  if (!r.ok()) return r.error().code;
  if (finish) {
    auto f = p.finish(out);
    if (!f.ok()) return f.error().code;
  }
  return "";
}

constexpr std::string_view kBody = R"(<?xml version="1.0" encoding="UTF-8"?><a:Envelope/>)";

TEST(WsmanHttp, BuildsPostWsman) {
  HttpPost post;
  post.host = "192.168.1.20:16992";
  post.authorization = R"(Digest username="admin", realm="Digest:A3829B3827DE4D33D4449B366831FD01")";
  auto req = build_http_post(post, kBody);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->rfind("POST /wsman HTTP/1.1\r\nHost: 192.168.1.20:16992\r\nAuthorization: Digest ", 0), 0u);
  EXPECT_NE(req->find("\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(req->find("\r\nContent-Length: " + std::to_string(kBody.size()) + "\r\n\r\n"), std::string::npos);
  EXPECT_EQ(req->substr(req->size() - kBody.size()), kBody);

  // The device reads it back, byte by byte.
  auto msgs = parse_all(HttpRole::kRequest, *req, 1);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].method, "POST");
  EXPECT_EQ(msgs[0].target, "/wsman");
  EXPECT_EQ(msgs[0].header("host"), "192.168.1.20:16992");
  EXPECT_EQ(msgs[0].body, kBody);
  EXPECT_TRUE(msgs[0].keep_alive());

  post.content_type.clear();  // MeshCommander sends none
  post.authorization.clear();
  auto bare = build_http_post(post, "");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, "POST /wsman HTTP/1.1\r\nHost: 192.168.1.20:16992\r\nContent-Length: 0\r\n\r\n");

  post.host = "evil\r\nX-Injected: 1";
  EXPECT_EQ(build_http_post(post, "").error().code, "http-bad-header");
  post.host = "h";
  post.extra_headers = {{"Bad Name", "v"}};
  EXPECT_EQ(build_http_post(post, "").error().code, "http-bad-header");
}

TEST(WsmanHttp, ChunkedResponseByteByByte) {
  // AMT answers 200s chunked; chunk sizes in either case, an extension, and a trailer.
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml; charset=UTF-8\r\n"
      "Transfer-Encoding: chunked\r\nServer: Intel(R) Active Management Technology 16.1.25\r\n\r\n"
      "1a\r\n<?xml version=\"1.0\"?><a:En\r\n"
      "A;ext=\"x\"\r\nvelope/>\r\n\r\n"
      "0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{7}, wire.size()}) {
    auto msgs = parse_all(HttpRole::kResponse, wire, step);
    ASSERT_EQ(msgs.size(), 1u) << step;
    EXPECT_EQ(msgs[0].status, 200);
    EXPECT_EQ(msgs[0].reason, "OK");
    EXPECT_EQ(msgs[0].body, "<?xml version=\"1.0\"?><a:Envelope/>\r\n");
    EXPECT_EQ(msgs[0].header("server"), "Intel(R) Active Management Technology 16.1.25");
    EXPECT_TRUE(msgs[0].keep_alive());
  }
}

TEST(WsmanHttp, ContentLength401AndPipelining) {
  const std::string wire =
      "HTTP/1.1 401 Unauthorized\r\n"
      "WWW-Authenticate: Digest realm=\"Digest:A3829B3827DE4D33D4449B366831FD01\", nonce=\"abc\", stale=\"false\", qop=\"auth\"\r\n"
      "Content-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  for (std::size_t step : {std::size_t{1}, std::size_t{5}, wire.size()}) {
    auto msgs = parse_all(HttpRole::kResponse, wire, step);
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].status, 401);
    EXPECT_EQ(msgs[0].body, "<html></html>");
    EXPECT_NE(msgs[0].header("WWW-Authenticate").find("qop=\"auth\""), std::string_view::npos);
    EXPECT_EQ(msgs[1].body, "ok");
  }
}

TEST(WsmanHttp, InterimUntilCloseAndNoBodyResponses) {
  auto msgs = parse_all(HttpRole::kResponse,
                        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
                        "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nrest of the stream",
                        3);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].status, 204);
  EXPECT_EQ(msgs[1].status, 200);
  EXPECT_EQ(msgs[1].version_minor, 0);
  EXPECT_EQ(msgs[1].body, "rest of the stream");
  EXPECT_FALSE(msgs[1].keep_alive());

  HttpParser p(HttpRole::kResponse);
  std::vector<HttpMessage> out;
  EXPECT_TRUE(p.idle());
  ASSERT_TRUE(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", out).ok());
  EXPECT_FALSE(p.idle());
  EXPECT_EQ(p.finish(out).error().code, "http-truncated");
  EXPECT_EQ(p.feed("more", out).error().code, "http-truncated");  // errors are final
}

TEST(WsmanHttp, DeviceBuildsResponsesTheClientReads) {
  std::string body(10000, 'x');
  HttpResponseHead head;
  head.headers = {{"Content-Type", "application/soap+xml;charset=UTF-8"}};
  head.framing = BodyFraming::kChunked;
  head.chunk_size = 4000;
  auto wire = build_http_response(head, body);
  ASSERT_TRUE(wire.ok());
  EXPECT_NE(wire->find("\r\nFA0\r\n"), std::string::npos);
  EXPECT_EQ(wire->substr(wire->size() - 5), "0\r\n\r\n");
  auto msgs = parse_all(HttpRole::kResponse, *wire, 1);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].body, body);

  HttpResponseHead unauthorized;
  unauthorized.status = 401;
  unauthorized.headers = {{"WWW-Authenticate", "Digest realm=\"r\", nonce=\"n\""}, {"Content-Type", "text/html"}};
  auto w401 = build_http_response(unauthorized, "<html></html>");
  ASSERT_TRUE(w401.ok());
  EXPECT_EQ(w401->rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u);
  msgs = parse_all(HttpRole::kResponse, *w401, 4);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].header("www-authenticate"), "Digest realm=\"r\", nonce=\"n\"");

  auto empty = build_http_response(HttpResponseHead{200, "", {}, BodyFraming::kChunked, 10}, "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(parse_all(HttpRole::kResponse, *empty, 1).size(), 1u);
  unauthorized.headers = {{"X", "a\nb"}};
  EXPECT_EQ(build_http_response(unauthorized, "").error().code, "http-bad-header");
}

TEST(WsmanHttp, MalformedFramingIsRejected) {
  const auto R = HttpRole::kResponse;
  EXPECT_EQ(error_of(R, "HTTP/2 200 OK\r\n"), "http-bad-start-line");
  EXPECT_EQ(error_of(R, "HTTP/1.1 2x0 OK\r\n"), "http-bad-start-line");
  EXPECT_EQ(error_of(R, "HTTP/1.1 099 Low\r\n"), "http-bad-start-line");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nNo colon\r\n"), "http-bad-header");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nName : v\r\n"), "http-bad-header");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n"), "http-bad-header");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"), "http-bad-content-length");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), "http-bad-content-length");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"), "http-bad-content-length");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"), "http-bad-content-length");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc"), "");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), "http-unsupported-encoding");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), "http-bad-chunk");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n"), "http-bad-chunk");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n"), "http-bad-chunk");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n"), "http-bad-chunk");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n", {}, true), "http-truncated");
  // Chunked wins over Content-Length in a response; a request with both is refused (smuggling).
  auto both = parse_all(R, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n", 1);
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].body, "z");
  EXPECT_EQ(error_of(HttpRole::kRequest, "POST /wsman HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "http-bad-content-length");
  EXPECT_EQ(error_of(HttpRole::kRequest, "POST  HTTP/1.1\r\n"), "http-bad-start-line");
  EXPECT_EQ(error_of(HttpRole::kRequest, "P(ST /wsman HTTP/1.1\r\n"), "http-bad-start-line");
  EXPECT_EQ(error_of(HttpRole::kRequest, "GET /a\x01 HTTP/1.1\r\n"), "http-bad-start-line");
}

TEST(WsmanHttp, CapsBoundHostileInput) {
  HttpLimits small;
  small.max_line = 64;
  small.max_header_bytes = 200;
  small.max_headers = 3;
  small.max_body = 100;
  const auto R = HttpRole::kResponse;
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 " + std::string(100, 'x'), small), "http-line-too-long");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n", small), "http-too-many-headers");
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 4; ++i) many += "H" + std::to_string(i) + ": " + std::string(50, 'v') + "\r\n";
  small.max_headers = 100;
  EXPECT_EQ(error_of(R, many, small), "http-headers-too-large");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", small), "http-body-too-large");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'a') + "\r\n40\r\n", small),
            "http-body-too-large");
  EXPECT_EQ(error_of(R, "HTTP/1.1 200 OK\r\n\r\n" + std::string(101, 'a'), small), "http-body-too-large");
  std::string trailers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 10; ++i) trailers += "T: " + std::string(40, 't') + "\r\n";
  EXPECT_EQ(error_of(R, trailers, small), "http-headers-too-large");
}

}  // namespace
