// The browser's relay to an Intel AMT device's redirection port: WebSocket
// /amtrelay.ashx?nodeid=ID&p=sol (Serial-over-LAN), p=kvm (remote desktop) or p=ider (IDE
// redirection of disk images, below). The server checks
// the user's rights on the device's group (remote control; not "no Intel AMT"; SOL also not "no
// terminal", KVM not "no desktop"; "view only" and "limited input" KVM get the viewer's input filtered in its RFB
// stream by shared/rfb's InputFilter), opens an APF channel to port 16994 through the device's CIRA
// connection, runs the redirection protocol's start and Digest authentication itself with the
// device's sealed credentials (which never reach the browser), starts SOL or KVM, and from then on
// carries the session's payload both ways:
//   - binary WebSocket messages: SOL — the host's serial bytes (for shared/term) and the keys
//     typed; KVM — the RFB stream (for shared/rfb) unchanged;
//   - text messages from the server: {"action":"amtrelay","state":"ready","type":"sol"} once the
//     session runs, {"action":"amtrelay","state":"closed","reason":"..."} before it closes.
// IDE-R (remote control right, not "no Intel AMT"; the images are the user's own files on the
// server, the "server files" site right, as MeshCentral's server-side IDE-R): the server lists
// the user's .iso (CD-ROM) and .img/.ima (floppy) files, the browser picks them and when AMT
// shows the drives (next boot, graceful, now), and the server runs shared/ider's HostSession
// itself, reading the images on the file I/O pool about 64 KB ahead of what the link has sent;
// the browser only gets progress. Messages (text):
//   → {"action":"amtider","state":"images","images":[{"path":"/x.iso","size":N,"drive":"cdrom"}]}
//   ← {"action":"start","cdrom":"/x.iso","floppy":"","start":0|1|2}
//   → {"action":"amtider","state":"opened"|"enabled"|"running"|"reset","toAmt":N,"fromAmt":N,
//      "start":S,"firmware":"16.1","cdrom":{"path","blocks","read"},"floppy":{...}}
// The session lasts until the browser closes the WebSocket (or AMT ends it).
// SOL heartbeats and sequence numbers stay on the server. Back-pressure: bytes from the device
// are acknowledged to it (APF window) only once the browser has taken them, so a slow browser
// stalls the device instead of growing the server's memory. The session is an event with its
// duration and byte counts when it ends.
#pragma once

#include <memory>

#include "net.hpp"
#include "request_info.hpp"
#include "server_context.hpp"

namespace mw::server::amt {

// Starts the relay on an accepted upgrade request (the stream is the HTTPS session's).
template <class NextLayer>
void start_amt_relay(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info,
                     http::request<http::string_body> upgrade);

// A relay for a peer server's browser (peers/peering.hpp) on the peer's open WebSocket: the
// device's CIRA connection is here. `p` is sol, kvm or ider; `userid` the user the peer
// authenticated (their rights are checked here too).
template <class NextLayer>
void start_peer_amt_relay(websocket::stream<NextLayer> ws, const ServerContext& ctx, std::string peer, const DomainSettings& domain,
                          std::string nodeid, const std::string& p, std::string userid);

}  // namespace mw::server::amt
