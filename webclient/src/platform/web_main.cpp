// Browser platform layer: GLFW (emscripten's JS implementation) window on the page's canvas,
// WebGL2 through ImGui's OpenGL3 backend, fonts fetched from the server, the control-channel
// WebSocket with reconnect back-off, and a small hook (window.meshwork) that end-to-end tests read.
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#include <emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/html5.h>
#include <emscripten/websocket.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app.hpp"
#include "text.hpp"

namespace {

struct Platform {
  GLFWwindow* window = nullptr;
  mw::web::App app;
  EMSCRIPTEN_WEBSOCKET_T socket = 0;
  int reconnect_delay_ms = 500;
  int fonts_pending = 0;
  bool started = false;
  unsigned frames = 0;
  unsigned reported_revision = ~0u;
  float scale = 1.0f;  // devicePixelRatio at start
  int frames_to_draw = 3;  // an idle app draws nothing: input, resizes and state changes set this
  bool idle_reported = false;
  // Fonts: the TTF data stays here (the atlas is rebuilt from it when text brings characters it
  // lacks); the fallback (CJK) font is fetched only then. See build_fonts and update_glyphs.
  std::vector<unsigned char> sans_ttf, mono_ttf, fallback_ttf;
  enum class Fallback { kNone, kLoading, kLoaded, kFailed } fallback = Fallback::kNone;
  ImVector<ImWchar> base_ranges, full_ranges, extra_ranges;
  ImFont* mono_font = nullptr;
  double built_at = 0;     // emscripten_get_now() of the last rebuild
  unsigned atlas_builds = 0;  // rebuilds after the first atlas
  double build_ms = 0;        // how long the last one took (build and upload)
  bool cap_logged = false;
  std::map<std::string, std::array<float, 4>> reported_buttons;
  bool alt_held = false;
  unsigned drawn_content = 0;  // the app's content_revision() the last frame showed
  int css_cursor = -2;         // the ImGuiMouseCursor the canvas shows
  // ImGui 1.86 samples key state once a frame: a key pressed and released between two frames
  // (a quick tap, or a test's key press) would never be seen as pressed. Such a release waits
  // for the end of the next frame (key, scancode, mods).
  GLFWkeyfun imgui_key = nullptr;
  std::vector<int> pressed_since_frame;
  std::vector<std::array<int, 3>> deferred_releases;
};

Platform g;

constexpr float kFontSize = 16.0f;

std::string page_host();

// The session a login-token page carries for the WebSockets (see serve_app_with_auth on the
// server): read once, and the element removed from the page.
std::string page_auth() {
  static std::string auth = [] {
    char buf[1024] = {};
    EM_ASM(
        {
          const m = document.querySelector('meta[name="mw-auth"]');
          if (!m) return;
          stringToUTF8(m.content, $0, $1);
          m.remove();
        },
        buf, static_cast<int>(sizeof buf));
    return std::string(buf);
  }();
  return auth;
}

// A WebSocket address on the page's server, with ?auth= when the page carries a session.
std::string socket_url(const std::string& path) {
  std::string url = "wss://" + page_host() + path;
  const std::string& auth = page_auth();
  if (!auth.empty()) {
    url += path.find('?') == std::string::npos ? "?auth=" : "&auth=";
    url += mw::web::url_encode(auth);
  }
  return url;
}

// URL arguments viewmode, hide and node (embedding, as MeshCentral's).
mw::web::App::Embedding page_embedding() {
  char node[256] = {};
  const int viewmode = EM_ASM_INT({ return parseInt(new URLSearchParams(location.search).get('viewmode') || '0', 10) || 0; });
  const int hide = EM_ASM_INT({ return parseInt(new URLSearchParams(location.search).get('hide') || '0', 10) || 0; });
  EM_ASM({ stringToUTF8(new URLSearchParams(location.search).get("node") || "", $0, $1); }, node, static_cast<int>(sizeof node));
  return {viewmode, static_cast<unsigned>(std::max(0, hide)), node};
}

std::string page_host() {
  char buf[256] = {};
  EM_ASM({ stringToUTF8(location.host, $0, $1); }, buf, static_cast<int>(sizeof buf));
  return buf;
}

// Terminals, desktops and action buttons for tests (window.meshwork.terminals / .desktops /
// .buttons; rectangles in CSS pixels).
void report_sessions() {
  nlohmann::json terms = nlohmann::json::array();
  for (const auto& t : g.app.terminals()) {
    const auto& r = t.screen;
    terms.push_back({{"nodeid", t.nodeid}, {"ready", t.ready}, {"status", t.status}, {"text", t.text}, {"copied", t.copied},
                     {"screen", {r[0] / g.scale, r[1] / g.scale, r[2] / g.scale, r[3] / g.scale}},
                     {"cols", t.cols}, {"rows", t.rows}, {"findCount", t.find_count}, {"findCurrent", t.find_current}});
  }
  nlohmann::json desks = nlohmann::json::array();
  for (const auto& d : g.app.desktops()) {
    const auto& r = d.screen;
    nlohmann::json displays = nlohmann::json::array();
    for (const auto& [id, name] : d.displays) displays.push_back({{"id", id}, {"name", name}});
    desks.push_back({{"nodeid", d.nodeid},
                     {"kind", d.kind == mw::web::DesktopKind::kAgent ? "agent" : "amt"},
                     {"ready", d.ready},
                     {"status", d.status},
                     {"width", d.width},
                     {"height", d.height},
                     {"updates", d.updates},
                     {"screen", {r[0] / g.scale, r[1] / g.scale, r[2] / g.scale, r[3] / g.scale}},
                     {"fullscreen", d.fullscreen},
                     {"clipboard", d.clipboard},
                     {"clipboardChanges", d.clipboard_changes},
                     {"display", d.display},
                     {"displays", displays}});
  }
  nlohmann::json consoles = nlohmann::json::array();
  for (const auto& c : g.app.consoles()) consoles.push_back({{"nodeid", c.nodeid}, {"text", c.text}, {"waiting", c.waiting}});
  nlohmann::json buttons = nlohmann::json::object();
  for (const auto& [name, r] : g.app.buttons()) {
    buttons[name] = {r[0] / g.scale, r[1] / g.scale, r[2] / g.scale, r[3] / g.scale};
  }
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : g.app.files()) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : f.entries) entries.push_back({{"name", e.name}, {"type", e.type}, {"size", e.size}});
    nlohmann::json transfer = nullptr;
    if (f.transfer) transfer = {{"upload", f.transfer->upload}, {"name", f.transfer->name}, {"done", f.transfer->done}, {"size", f.transfer->size}};
    files.push_back({{"nodeid", f.nodeid}, {"ready", f.ready}, {"status", f.status}, {"path", f.path}, {"entries", entries},
                     {"transfer", transfer}, {"server", f.server}, {"used", f.used}, {"quota", f.quota}});
  }
  nlohmann::json pages = nlohmann::json::array();
  for (const auto& p : g.app.device_pages()) {
    pages.push_back({{"nodeid", p.nodeid}, {"hostname", p.hostname}, {"os", p.os}, {"events", p.events}, {"amt", p.amt},
                     {"notes", p.notes}, {"notesStatus", p.notes_status}, {"ider", p.ider}});
  }
  nlohmann::json events = nullptr;
  if (const auto& all = g.app.all_events()) {
    events = nlohmann::json::array();
    for (const auto& e : *all) events.push_back(e.msg.empty() ? e.action : e.msg);
  }
  const std::string text = nlohmann::json{{"terminals", terms}, {"desktops", desks}, {"files", files}, {"consoles", consoles}, {"devicePages", pages},
                                          {"events", events}, {"passwordResult", g.app.password_result()},
                                          {"emailResult", g.app.email_result()},
                                          {"inviteResult", g.app.invite_result()},
                                          {"account", g.app.user() ? nlohmann::json{{"email", g.app.user()->email}, {"emailVerified", g.app.user()->email_verified}} : nlohmann::json()},
                                          {"addAmt", {{"mps", g.app.add_amt_info().mps}, {"user", g.app.add_amt_info().mps_user},
                                                      {"rootSha384", g.app.add_amt_info().root_sha384},
                                                      {"result", g.app.add_amt_info().result},
                                                      {"scanResult", g.app.add_amt_info().scan_result},
                                                      {"found", g.app.add_amt_info().found},
                                                      {"host", g.app.add_amt_info().host},
                                                      {"tls", g.app.add_amt_info().tls}}},
                                          {"buttons", buttons},
                                          {"addAgentCommand", g.app.add_agent_command()}}.dump(-1, ' ', false,
                                                                                           nlohmann::json::error_handler_t::replace);
  EM_ASM(
      {
        window.meshwork = window.meshwork || {};
        const s = JSON.parse(UTF8ToString($0));
        window.meshwork.terminals = s.terminals;
        window.meshwork.desktops = s.desktops;
        window.meshwork.files = s.files;
        window.meshwork.consoles = s.consoles;
        window.meshwork.devicePages = s.devicePages;
        window.meshwork.events = s.events;
        window.meshwork.passwordResult = s.passwordResult;
        window.meshwork.emailResult = s.emailResult;
        window.meshwork.inviteResult = s.inviteResult;
        window.meshwork.account = s.account;
        window.meshwork.addAmt = s.addAmt;
        window.meshwork.buttons = s.buttons;
        window.meshwork.addAgentCommand = s.addAgentCommand;
      },
      text.c_str());
}

// Administration tabs for tests (window.meshwork.admin): the tab, the accounts My Users lists,
// My Server's figures, each group's members with their rights, and the panels' last answers.
void report_admin() {
  using mw::web::App;
  nlohmann::json users = nullptr;
  if (const auto& list = g.app.users_panel().users()) {
    users = nlohmann::json::object();
    for (const auto& u : *list) users[u.name] = {{"siteadmin", u.siteadmin}, {"email", u.email}, {"reset", u.reset_next_login}};
  }
  nlohmann::json stats = nullptr;
  if (const auto& st = g.app.server_panel().stats()) {
    stats = {{"version", st->version}, {"uptime", st->uptime}, {"rss", st->rss}, {"userAccounts", st->user_accounts},
             {"deviceGroups", st->device_groups}, {"userSessions", st->user_sessions}, {"agents", st->agent_sessions},
             {"amt", st->connected_amt}, {"relays", st->relay_sessions}};
  }
  nlohmann::json groups = nlohmann::json::object();
  for (const auto& [id, grp] : g.app.groups()) {
    nlohmann::json members = nlohmann::json::object();
    for (const auto& m : grp.members) members[m.name.empty() ? m.userid : m.name] = m.rights;
    groups[grp.name] = {{"id", id}, {"mtype", grp.mtype}, {"desc", grp.desc}, {"members", members}};
  }
  // The selection (device names) and the last command's output per device (by id: names repeat).
  auto device_name = [](const std::string& id) {
    const auto d = g.app.devices().find(id);
    return d == g.app.devices().end() ? id : d->second.name;
  };
  nlohmann::json selected = nlohmann::json::array();
  for (const auto& id : g.app.bulk().ids()) selected.push_back(device_name(id));
  nlohmann::json outputs = nlohmann::json::object();
  for (const auto& [id, o] : g.app.bulk().outputs()) {
    outputs[id] = {{"name", device_name(id)}, {"text", o.text}, {"exitcode", o.exitcode}, {"finished", o.finished}};
  }
  const std::string text =
      nlohmann::json{{"tab", App::tab_name(g.app.tab())}, {"users", users}, {"serverStats", stats}, {"groups", groups},
                     {"selected", selected}, {"commandOutputs", outputs}, {"bulkMessage", g.app.bulk().message()},
                     {"usersMessage", g.app.users_panel().message()}, {"groupMessage", g.app.group_panel().message()},
                     {"groupSettings", g.app.group_panel().settings_group()}}
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  EM_ASM({ window.meshwork = window.meshwork || {}; window.meshwork.admin = JSON.parse(UTF8ToString($0)); }, text.c_str());
}

void report_to_page() {
  report_sessions();
  report_admin();
  const auto& info = g.app.server_info();
  // Device names for tests (window.meshwork.deviceNames), sorted, newline-separated.
  std::string names;
  nlohmann::json states = nlohmann::json::object();
  nlohmann::json list = nlohmann::json::object();
  for (const auto& [id, d] : g.app.devices()) {
    names += d.name + "\n";
    states[d.name] = {{"id", id}, {"conn", d.conn}, {"pwr", d.pwr}, {"desc", d.desc}, {"icon", d.icon}};
    // drawnIcon: the icon My Devices showed for it in the last frame (0: not shown).
    const auto drawn = g.app.drawn_icons().find(id);
    list[id] = {{"name", d.name}, {"conn", d.conn}, {"pwr", d.pwr}, {"meshid", d.meshid}, {"icon", d.icon},
                {"drawnIcon", drawn == g.app.drawn_icons().end() ? 0 : drawn->second}};
  }
  // The same by device id (names need not be unique): window.meshwork.deviceList.
  const std::string list_text = list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  EM_ASM({ window.meshwork = window.meshwork || {}; window.meshwork.deviceList = JSON.parse(UTF8ToString($0)); }, list_text.c_str());
  // Connection bits and power state by device name (window.meshwork.deviceStates).
  const std::string states_text = states.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  EM_ASM({ window.meshwork = window.meshwork || {}; window.meshwork.deviceStates = JSON.parse(UTF8ToString($0)); }, states_text.c_str());
  EM_ASM(
      {
        window.meshwork = window.meshwork || {};
        const m = window.meshwork;
        m.groups = $0;
        m.devices = $1;
        m.deviceNames = UTF8ToString($2).split('\n').filter((x) => x).sort();
        m.user = $3 ? UTF8ToString($3) : null;
      },
      static_cast<int>(g.app.groups().size()), static_cast<int>(g.app.devices().size()), names.c_str(),
      g.app.user() ? g.app.user()->id.c_str() : nullptr);
  EM_ASM(
      {
        window.meshwork = window.meshwork || {};
        const m = window.meshwork;
        m.frames = $0;
        m.connected = $1 !== 0;
        m.serverName = $2 ? UTF8ToString($2) : null;
        m.version = $3 ? UTF8ToString($3) : null;
        m.scale = $4;
        m.singleView = $5 !== 0;
      },
      g.frames, g.app.connection() == mw::web::Connection::kOpen ? 1 : 0, info ? info->name.c_str() : nullptr,
      info ? info->version.c_str() : nullptr, g.scale, g.app.single_view() ? 1 : 0);
}

void wake();
void update_glyphs();

// The app works in device pixels: the canvas backbuffer is CSS size × devicePixelRatio (sharp on
// HiDPI screens), emscripten's GLFW reports the mouse in backbuffer pixels too, and fonts and
// style are scaled by the same ratio (g.scale).
// Sizes the canvas to its CSS box. Not glfwSetWindowSize: emscripten's GLFW requests fullscreen
// when the size equals the screen's (always true in a maximised or headless browser), which the
// browser refuses without a user gesture. Browser.setCanvasSize notifies GLFW's resize listener.
void resize_to_css() {
  double w = 0, h = 0;
  emscripten_get_element_css_size("#canvas", &w, &h);
  const double dpr = g.scale;
  EM_ASM({ Module.setCanvasSize($0, $1); }, std::max(1, static_cast<int>(w * dpr + 0.5)),
         std::max(1, static_cast<int>(h * dpr + 0.5)));
}

// The mouse cursor ImGui asks for, as the canvas's CSS cursor (ImGui's GLFW backend would use
// glfwSetInputMode, which emscripten's GLFW does not implement for hiding: it logs every frame).
void set_css_cursor(ImGuiMouseCursor c) {
  if (c == g.css_cursor) return;
  g.css_cursor = c;
  const char* css = "default";
  switch (c) {
    case ImGuiMouseCursor_None: css = "none"; break;
    case ImGuiMouseCursor_TextInput: css = "text"; break;
    case ImGuiMouseCursor_ResizeAll: css = "move"; break;
    case ImGuiMouseCursor_ResizeNS: css = "ns-resize"; break;
    case ImGuiMouseCursor_ResizeEW: css = "ew-resize"; break;
    case ImGuiMouseCursor_ResizeNESW: css = "nesw-resize"; break;
    case ImGuiMouseCursor_ResizeNWSE: css = "nwse-resize"; break;
    case ImGuiMouseCursor_Hand: css = "pointer"; break;
    case ImGuiMouseCursor_NotAllowed: css = "not-allowed"; break;
    default: break;
  }
  EM_ASM({ Module.canvas.style.cursor = UTF8ToString($0); }, css);
}

// ImGui settles a change within a couple of frames (layout, hover); draw a few, then rest.
void wake() { g.frames_to_draw = 3; }

void frame() {
  update_glyphs();
  if (g.app.revision() != g.reported_revision) wake();
  // New remote content (terminal output, a desktop update): one frame shows it.
  if (g.app.content_revision() != g.drawn_content) g.frames_to_draw = std::max(g.frames_to_draw, 1);
  if (g.frames_to_draw == 0) {
    if (!g.idle_reported) {
      g.idle_reported = true;
      EM_ASM({ window.meshwork.idle = true; });
    }
    return;
  }
  --g.frames_to_draw;
  if (g.idle_reported) {
    g.idle_reported = false;
    EM_ASM({ window.meshwork.idle = false; });
  }
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  const ImGuiIO& io = ImGui::GetIO();
  g.app.draw(io.DisplaySize.x, io.DisplaySize.y);
  ImGui::Render();
  g.pressed_since_frame.clear();
  if (!g.deferred_releases.empty()) {
    const auto releases = std::move(g.deferred_releases);
    g.deferred_releases.clear();
    for (const auto& r : releases) {
      if (g.imgui_key) g.imgui_key(g.window, r[0], r[1], GLFW_RELEASE, r[2]);
    }
    wake();
  }
  int fw = 0, fh = 0;
  glfwGetFramebufferSize(g.window, &fw, &fh);
  glViewport(0, 0, fw, fh);
  glClearColor(0.07f, 0.08f, 0.10f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  ++g.frames;
  set_css_cursor(ImGui::GetMouseCursor());
  if (const std::string to = g.app.take_navigation(); !to.empty()) {
    EM_ASM({ location.href = UTF8ToString($0); }, to.c_str());
  }
  const bool content = g.app.content_revision() != g.drawn_content;
  g.drawn_content = g.app.content_revision();
  // Strings in the hook change rarely: rewrite them only when the app's state changed.
  if (g.app.revision() != g.reported_revision) {
    g.reported_revision = g.app.revision();
    g.reported_buttons = g.app.buttons();
    report_to_page();
  } else {
    if (g.app.buttons() != g.reported_buttons || content) {  // layout settled a frame later, or new content
      g.reported_buttons = g.app.buttons();
      report_sessions();
    }
    EM_ASM({ window.meshwork.frames = $0; }, g.frames);
  }
}

// [SECTION] Relay WebSockets (terminals): the socket id is the app's handle.
int open_relay(const std::string& path) {
  const std::string url = socket_url(path);
  EmscriptenWebSocketCreateAttributes attr;
  emscripten_websocket_init_create_attributes(&attr);
  attr.url = url.c_str();
  attr.protocols = nullptr;
  attr.createOnMainThread = EM_TRUE;
  const EMSCRIPTEN_WEBSOCKET_T ws = emscripten_websocket_new(&attr);
  if (ws <= 0) return 0;
  emscripten_websocket_set_onmessage_callback(ws, nullptr, [](int, const EmscriptenWebSocketMessageEvent* e, void*) {
    const auto* data = reinterpret_cast<const char*>(e->data);
    if (e->isText) {
      g.app.on_relay_message(e->socket, false, std::string_view(data, e->numBytes > 0 ? e->numBytes - 1 : 0));
    } else {
      g.app.on_relay_message(e->socket, true, std::string_view(data, e->numBytes));
    }
    return EM_TRUE;
  });
  emscripten_websocket_set_onclose_callback(ws, nullptr, [](int, const EmscriptenWebSocketCloseEvent* e, void*) {
    g.app.on_relay_closed(e->socket, e->reason);
    emscripten_websocket_delete(e->socket);
    return EM_TRUE;
  });
  return ws;
}

// [SECTION] Remote screens: one WebGL texture per desktop, updated a dirty rectangle at a time
// straight from the framebuffer's rows (UNPACK_ROW_LENGTH), never copied first.
std::uintptr_t create_texture(int width, int height) {
  GLuint tex = 0;
  glGenTextures(1, &tex);
  if (!tex) return 0;
  glBindTexture(GL_TEXTURE_2D, tex);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, width, height);
  return tex;
}

void update_texture(std::uintptr_t id, const mw::rfb::Framebuffer& fb, const mw::rfb::Rect& r) {
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(id));
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, fb.width());
  glTexSubImage2D(GL_TEXTURE_2D, 0, r.x, r.y, r.w, r.h, GL_RGBA, GL_UNSIGNED_BYTE, fb.row(r.y) + r.x);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
}

void destroy_texture(std::uintptr_t id) {
  const GLuint tex = static_cast<GLuint>(id);
  glDeleteTextures(1, &tex);
}

// Keys for remote desktops: the DOM's key and code (layout-aware, see mw/rfb/keyboard.hpp). While
// a desktop has the keyboard, the browser's own handling (Tab, Backspace, shortcuts it lets pages
// take) is prevented so the keys reach the remote computer.
EM_BOOL on_dom_key(int type, const EmscriptenKeyboardEvent* e, void*) {
  wake();
  g.app.on_key({type == EMSCRIPTEN_EVENT_KEYDOWN, e->key, e->code});
  // Ctrl+V (Cmd+V) keeps its default: the browser's paste event sets the remote clipboard first,
  // then the keys (queued above, sent at the next frame) paste it on the remote side.
  if ((e->ctrlKey || e->metaKey) && !e->altKey && std::strcmp(e->code, "KeyV") == 0) return EM_FALSE;
  return g.app.desktop_has_keyboard() ? EM_TRUE : EM_FALSE;
}

// [SECTION] Files: the browser's file picker, upload streaming and downloads (FilePort). Picked
// files stay in JS (Module.mwFiles) and are read 64 KiB at a time straight into the relay socket,
// waiting while more than 1 MiB is queued on it; downloads gather into a Blob, folded every 16 MiB
// so the browser can keep large ones on disk, and are handed to the browser as a download.
EM_JS(void, js_pick_file, (), {
  let input = document.getElementById("mw-file-input");
  if (!input) {
    input = document.createElement("input");
    input.type = "file";
    input.id = "mw-file-input";
    input.style.display = "none";
    document.body.appendChild(input);
    input.addEventListener("change", () => {
      const f = input.files && input.files[0];
      input.value = "";
      if (!f) return;
      Module.mwFiles = Module.mwFiles || {};
      Module.mwNextFile = (Module.mwNextFile || 0) + 1;
      const id = Module.mwNextFile;
      Module.mwFiles[id] = f;
      const size = lengthBytesUTF8(f.name) + 1;
      const name = _malloc(size);
      stringToUTF8(f.name, name, size);
      Module._mw_file_picked(id, name, f.size);
      _free(name);
    });
  }
  input.click();
});

EM_JS(void, js_upload_file, (int relay, int file, double offset), {
  const f = Module.mwFiles && Module.mwFiles[file];
  const ws = WS.sockets[relay];
  if (!f || !ws) return;
  let at = offset;
  (async () => {
    while (at < f.size) {
      if (!Module.mwFiles[file] || ws.readyState !== 1) return;
      if (ws.bufferedAmount > 1048576) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const end = Math.min(f.size, at + 65536);
      const chunk = await f.slice(at, end).arrayBuffer();
      if (!Module.mwFiles[file] || ws.readyState !== 1) return;
      ws.send(chunk);
      at = end;
      Module._mw_upload_sent();
    }
  })();
});

EM_JS(void, js_forget_file, (int file), {
  if (Module.mwFiles) delete Module.mwFiles[file];
});

EM_JS(int, js_save_begin, (const char* name, double size), {
  Module.mwSaves = Module.mwSaves || {};
  Module.mwNextSave = (Module.mwNextSave || 0) + 1;
  Module.mwSaves[Module.mwNextSave] = { name: UTF8ToString(name), blob: new Blob([]), parts: [], pending: 0 };
  return Module.mwNextSave;
});

EM_JS(void, js_save_chunk, (int sink, const char* data, int size), {
  const s = Module.mwSaves && Module.mwSaves[sink];
  if (!s) return;
  s.parts.push(HEAPU8.slice(data, data + size));
  s.pending += size;
  if (s.pending >= 16777216) {
    s.blob = new Blob([s.blob, ...s.parts]);
    s.parts = [];
    s.pending = 0;
  }
});

EM_JS(void, js_save_end, (int sink, int complete), {
  const s = Module.mwSaves && Module.mwSaves[sink];
  if (!s) return;
  delete Module.mwSaves[sink];
  if (!complete) return;
  const url = URL.createObjectURL(new Blob([s.blob, ...s.parts], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = s.name;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
});

// Clipboard: copied text goes to the browser's clipboard (a selection ends with a mouse release,
// a user activation); the browser's paste event (Ctrl+V, Ctrl+Shift+V, the context menu) brings
// text to the app without any clipboard permission.
EM_JS(void, js_copy_text, (const char* text), {
  if (navigator.clipboard) navigator.clipboard.writeText(UTF8ToString(text)).catch(() => {});
});

// Full screen for a remote desktop (App::set_fullscreen_port). The browser may refuse (no recent
// click, or full screen disabled): the desktop then still covers the whole page. Leaving full
// screen in the browser (Esc) is reported to the app.
EM_JS(void, js_fullscreen, (int on), {
  if (on) {
    if (document.fullscreenEnabled && !document.fullscreenElement) document.documentElement.requestFullscreen().catch(() => {});
  } else if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  }
});
EM_JS(void, js_listen_fullscreen, (), {
  document.addEventListener("fullscreenchange", () => Module._mw_fullscreen_changed(document.fullscreenElement ? 1 : 0));
});

EM_JS(void, js_listen_paste, (), {
  document.addEventListener("paste", (e) => {
    const text = e.clipboardData ? e.clipboardData.getData("text/plain") : "";
    if (!text) return;
    e.preventDefault();
    const size = lengthBytesUTF8(text) + 1;
    const ptr = _malloc(size);
    stringToUTF8(text, ptr, size);
    Module._mw_paste(ptr);
    _free(ptr);
  });
});

// Text that comes without key presses: input methods (IME composition for Chinese, Japanese,
// Korean...), emoji pickers, dictation, on-screen keyboards. The canvas cannot receive it, so the
// keyboard focus lives in an almost invisible textarea (#mw-ime) over the canvas: key events still
// reach GLFW's window listeners as before, and the textarea's own events bring the rest —
// compositionend's committed text, and "input" events that no keypress preceded. While a
// composition runs, the textarea shows it (the browser draws the preedit and places the input
// method's candidate window) at the text cursor: ImGui's input position (ImeSetInputScreenPosFn)
// or, for terminals and desktops, where the user last clicked.
EM_JS(void, js_setup_ime, (), {
  const ta = document.createElement("textarea");
  ta.id = "mw-ime";
  ta.setAttribute("autocomplete", "off");
  ta.setAttribute("autocorrect", "off");
  ta.setAttribute("autocapitalize", "off");
  ta.setAttribute("spellcheck", "false");
  ta.setAttribute("aria-label", "Keyboard input");
  ta.setAttribute("tabindex", "-1");
  const hidden = "position:fixed;left:0;top:0;width:1px;height:1px;opacity:0;border:0;padding:0;margin:0;resize:none;" +
                 "overflow:hidden;z-index:5;pointer-events:none;outline:none;caret-color:transparent;";
  const shown = "opacity:1;width:24em;height:1.6em;background:#20242c;color:#e8eaf0;border:1px solid #4a8fe7;" +
                "font:16px 'DejaVu Sans',sans-serif;padding:1px 3px;";
  ta.style.cssText = hidden;
  document.body.appendChild(ta);
  let x = 0, y = 0, keypressed = false;
  Module.mwImeAt = (cx, cy) => { x = cx; y = cy; if (!ta.composing) { ta.style.left = x + "px"; ta.style.top = y + "px"; } };
  const send = (text) => {
    if (!text) return;
    const size = lengthBytesUTF8(text) + 1;
    const ptr = _malloc(size);
    stringToUTF8(text, ptr, size);
    Module._mw_ime_text(ptr);
    _free(ptr);
  };
  const focus = () => { if (document.activeElement !== ta) ta.focus({ preventScroll: true }); };
  const canvas = document.getElementById("canvas");
  canvas.addEventListener("pointerdown", (e) => { Module.mwImeAt(e.clientX, e.clientY); setTimeout(focus, 0); });
  window.addEventListener("keypress", () => { keypressed = true; }, true);
  window.addEventListener("keyup", () => { keypressed = false; }, true);
  ta.addEventListener("compositionstart", () => {
    ta.composing = true;
    ta.value = "";
    ta.style.cssText = hidden + shown + "left:" + x + "px;top:" + y + "px;";
  });
  ta.addEventListener("compositionend", (e) => {
    ta.composing = false;
    ta.style.cssText = hidden + "left:" + x + "px;top:" + y + "px;";
    ta.value = "";
    send(e.data);
  });
  ta.addEventListener("input", (e) => {
    if (ta.composing || e.isComposing) return;
    // Typed keys already arrived as keypress events (GLFW); anything else is text to type.
    if (!keypressed && e.inputType === "insertText") send(e.data);
    keypressed = false;
    ta.value = "";
  });
  focus();
});

// Key presses for terminals, in order with typed characters (see InputEvent).
void queue_key(int key, int glfw_mods) {
  using mw::term::Key;
  unsigned mods = 0;
  if (glfw_mods & GLFW_MOD_SHIFT) mods |= mw::term::mod::kShift;
  if (glfw_mods & GLFW_MOD_ALT) mods |= mw::term::mod::kAlt;
  if (glfw_mods & GLFW_MOD_CONTROL) mods |= mw::term::mod::kCtrl;
  g.alt_held = (glfw_mods & GLFW_MOD_ALT) != 0;
  static const std::pair<int, Key> kKeys[] = {
      {GLFW_KEY_UP, Key::kUp},         {GLFW_KEY_DOWN, Key::kDown},       {GLFW_KEY_RIGHT, Key::kRight},
      {GLFW_KEY_LEFT, Key::kLeft},     {GLFW_KEY_HOME, Key::kHome},       {GLFW_KEY_END, Key::kEnd},
      {GLFW_KEY_INSERT, Key::kInsert}, {GLFW_KEY_DELETE, Key::kDelete},   {GLFW_KEY_PAGE_UP, Key::kPageUp},
      {GLFW_KEY_PAGE_DOWN, Key::kPageDown}, {GLFW_KEY_ENTER, Key::kEnter}, {GLFW_KEY_KP_ENTER, Key::kEnter},
      {GLFW_KEY_TAB, Key::kTab},       {GLFW_KEY_BACKSPACE, Key::kBackspace}, {GLFW_KEY_ESCAPE, Key::kEscape},
  };
  for (const auto& [k, t] : kKeys) {
    if (k == key) return g.app.on_input({mw::web::InputEvent::Kind::kKey, 0, t, mods});
  }
  if (key >= GLFW_KEY_F1 && key <= GLFW_KEY_F12) {
    return g.app.on_input({mw::web::InputEvent::Kind::kKey, 0, static_cast<Key>(static_cast<int>(Key::kF1) + (key - GLFW_KEY_F1)), mods});
  }
  // Ctrl+V is the browser's paste (its paste event brings the text), not ^V.
  if ((mods & mw::term::mod::kCtrl) && !(mods & mw::term::mod::kAlt) && key == GLFW_KEY_V) return;
  // Ctrl or Alt with a letter: browsers type no character for these.
  if ((mods & (mw::term::mod::kCtrl | mw::term::mod::kAlt)) && key >= GLFW_KEY_A && key <= GLFW_KEY_Z) {
    g.app.on_input({mw::web::InputEvent::Kind::kCtrlLetter, static_cast<char32_t>('a' + (key - GLFW_KEY_A)), {}, mods});
  }
}

void connect();

void schedule_reconnect() {
  const int delay = g.reconnect_delay_ms;
  g.reconnect_delay_ms = std::min(30000, g.reconnect_delay_ms * 2);
  emscripten_async_call([](void*) { connect(); }, nullptr, delay);
}

void connect() {
  const std::string url = socket_url("/control.ashx");
  EmscriptenWebSocketCreateAttributes attr;
  emscripten_websocket_init_create_attributes(&attr);
  attr.url = url.c_str();
  attr.protocols = nullptr;
  attr.createOnMainThread = EM_TRUE;
  g.socket = emscripten_websocket_new(&attr);
  if (g.socket <= 0) {
    g.app.on_connection(mw::web::Connection::kError, "WebSocket could not be created");
    schedule_reconnect();
    return;
  }
  g.app.on_connection(mw::web::Connection::kConnecting);
  emscripten_websocket_set_onopen_callback(g.socket, nullptr, [](int, const EmscriptenWebSocketOpenEvent*, void*) {
    g.reconnect_delay_ms = 500;
    g.app.on_connection(mw::web::Connection::kOpen);
    return EM_TRUE;
  });
  emscripten_websocket_set_onmessage_callback(
      g.socket, nullptr, [](int, const EmscriptenWebSocketMessageEvent* e, void*) {
        if (e->isText && e->numBytes > 0) {
          // numBytes counts the terminating NUL of text frames.
          g.app.on_control_message(std::string_view(reinterpret_cast<const char*>(e->data), e->numBytes - 1));
          // The session ended on the server: back to the login page, through "logout", which
          // also drops the cookie (a reload would serve the app again to a cookie whose account
          // was removed or locked, and loop).
          if (g.app.needs_login()) EM_ASM({ location.replace('logout'); });
        }
        return EM_TRUE;
      });
  emscripten_websocket_set_onclose_callback(g.socket, nullptr, [](int, const EmscriptenWebSocketCloseEvent* e, void*) {
    emscripten_websocket_delete(e->socket);
    g.socket = 0;
    g.app.on_connection(mw::web::Connection::kClosed, "The server closed the connection; reconnecting.");
    schedule_reconnect();
    return EM_TRUE;
  });
  emscripten_websocket_set_onerror_callback(g.socket, nullptr, [](int, const EmscriptenWebSocketErrorEvent*, void*) {
    g.app.on_connection(mw::web::Connection::kError, "Cannot reach the server; retrying.");
    return EM_TRUE;
  });
}

void start_main_loop() {
  if (g.started) return;
  g.started = true;
  EM_ASM({ window.meshwork = window.meshwork || {}; window.meshwork.atlasHas = (cp) => Module._mw_atlas_has(cp); });
  g.app.set_embedding(page_embedding());
  g.app.set_sender([](std::string text) {
    if (g.socket > 0) emscripten_websocket_send_utf8_text(g.socket, text.c_str());
  });
  g.app.set_relay_port({open_relay,
                        [](int h, bool binary, std::string_view data) {
                          if (binary) {
                            emscripten_websocket_send_binary(h, const_cast<char*>(data.data()), static_cast<uint32_t>(data.size()));
                          } else {
                            emscripten_websocket_send_utf8_text(h, std::string(data).c_str());
                          }
                        },
                        [](int h) { emscripten_websocket_close(h, 1000, "closed"); }});
  g.app.set_texture_port({create_texture, update_texture, destroy_texture});
  g.app.set_clipboard([](const std::string& text) { js_copy_text(text.c_str()); });
  js_listen_paste();
  js_listen_fullscreen();
  js_setup_ime();
  // ImGui's text cursor, in framebuffer pixels: where an input method composes.
  ImGui::GetIO().ImeSetInputScreenPosFn = [](int x, int y) {
    EM_ASM({ if (Module.mwImeAt) Module.mwImeAt($0, $1); }, x / g.scale, y / g.scale);
  };
  g.app.set_fullscreen_port([](bool on) { js_fullscreen(on ? 1 : 0); });
  g.app.set_file_port({[] { js_pick_file(); },
                       [](int relay, int file, std::uint64_t offset) { js_upload_file(relay, file, static_cast<double>(offset)); },
                       [](int file) { js_forget_file(file); },
                       [](const std::string& name, std::uint64_t size) { return js_save_begin(name.c_str(), static_cast<double>(size)); },
                       [](int sink, std::string_view bytes) { js_save_chunk(sink, bytes.data(), static_cast<int>(bytes.size())); },
                       [](int sink, bool complete) { js_save_end(sink, complete ? 1 : 0); }});
  connect();
  // The app's clock: My Server's figures and debounced list reloads.
  emscripten_set_interval([](void*) { g.app.tick(emscripten_get_now() / 1000.0); }, 1000, nullptr);
  emscripten_set_main_loop(frame, 0, false);
}

// The fallback font's address (served from fonts/ beside DejaVu, gzip-compressed on the wire).
constexpr const char* kFallbackFont = "fonts/DroidSansFallback.ttf";

// (Re)builds the font atlas: DejaVu Sans (the default font) and DejaVu Sans Mono (terminals and
// consoles), each with the base ranges plus the characters the app's GlyphNeeds collected. What
// DejaVu Sans Mono lacks comes from DejaVu Sans, then the fallback font; what DejaVu Sans lacks,
// from the fallback (merged: ImGui keeps the first font's glyph when several have one). With
// `upload`, the new atlas replaces the GL texture at once (between frames) and its pixels are
// freed: the texture holds them.
void build_fonts(bool upload) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  g.extra_ranges.clear();
  for (const auto& [from, to] : mw::web::GlyphNeeds::as_ranges(g.app.glyphs().extra())) {
    g.extra_ranges.push_back(static_cast<ImWchar>(from));
    g.extra_ranges.push_back(static_cast<ImWchar>(to));
  }
  g.full_ranges.clear();
  for (int i = 0; i + 1 < g.base_ranges.Size && g.base_ranges[i]; i += 2) {
    g.full_ranges.push_back(g.base_ranges[i]);
    g.full_ranges.push_back(g.base_ranges[i + 1]);
  }
  for (const ImWchar w : g.extra_ranges) g.full_ranges.push_back(w);
  g.extra_ranges.push_back(0);
  g.full_ranges.push_back(0);
  const bool extra = g.extra_ranges.Size > 1;
  auto add = [&](std::vector<unsigned char>& data, const char* name, bool mono, bool merge) -> ImFont* {
    if (data.empty() || (merge && !extra)) return nullptr;
    ImFontConfig cfg;
    cfg.FontDataOwnedByAtlas = false;  // g keeps it for the next rebuild
    cfg.MergeMode = merge;
    // Horizontal oversampling sharpens proportional Latin text at 1x; on HiDPI screens, for the
    // terminal's cell grid (snapped to pixels) and for merged CJK glyphs it would only double
    // the atlas's size and build time.
    cfg.OversampleH = mono || merge || g.scale >= 2.0f ? 1 : 2;
    cfg.OversampleV = 1;
    cfg.PixelSnapH = mono;
    std::snprintf(cfg.Name, sizeof cfg.Name, "%s", name);
    // ImGui sizes a font by its line height (ascent + descent); Droid Sans Fallback's em is 256 of
    // its 335 units there, DejaVu's 2048 of 2384: at 1.125 times the size both ems match, and CJK
    // characters stand as tall as Latin capitals plus their usual margin.
    const float size = kFontSize * g.scale * (&data == &g.fallback_ttf ? 1.125f : 1.0f);
    return io.Fonts->AddFontFromMemoryTTF(data.data(), static_cast<int>(data.size()), size, &cfg,
                                          merge ? g.extra_ranges.Data : g.full_ranges.Data);
  };
  ImFont* sans = add(g.sans_ttf, "DejaVu Sans", false, false);
  if (sans) add(g.fallback_ttf, "Droid Sans Fallback", false, true);
  ImFont* mono = add(g.mono_ttf, "DejaVu Sans Mono", true, false);
  if (mono) {
    add(g.sans_ttf, "DejaVu Sans", true, true);
    add(g.fallback_ttf, "Droid Sans Fallback", true, true);
  }
  if (!sans && !mono) {  // the fonts could not be fetched: ImGui's own font, scaled, is still usable
    io.Fonts->AddFontDefault();
    io.FontGlobalScale = g.scale;
  }
  io.FontDefault = sans ? sans : mono;
  g.mono_font = mono;
  g.app.set_mono_font(mono);
  if (!upload) return;  // the first atlas is built and uploaded by the GL backend's first frame
  io.Fonts->Build();
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();
  io.Fonts->ClearTexData();
}

// The fonts' state for tests (window.meshwork.fonts): whether the fallback was fetched, how many
// characters the atlas holds beyond its base ranges, how often it was rebuilt and how long the
// last rebuild took, its size (pixels; 0 until the first frame builds it).
void report_fonts() {
  static const char* const kStates[] = {"none", "loading", "loaded", "failed"};
  const auto& need = g.app.glyphs();
  EM_ASM(
      {
        window.meshwork = window.meshwork || {};
        const f = {};
        f.fallback = UTF8ToString($0);
        f.extra = $1;
        f.waiting = $2;
        f.builds = $3;
        f.capped = $4 !== 0;
        f.atlas = [];
        f.atlas.push($5);
        f.atlas.push($6);
        f.buildMs = $7;
        window.meshwork.fonts = f;
      },
      kStates[static_cast<int>(g.fallback)], static_cast<int>(need.extra().size()), static_cast<int>(need.waiting()),
      g.atlas_builds, need.capped() ? 1 : 0, ImGui::GetIO().Fonts->TexWidth, ImGui::GetIO().Fonts->TexHeight, g.build_ms);
}

EM_JS(void, js_load_fallback, (const char* url), {
  fetch(UTF8ToString(url)).then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null).then((b) => {
    if (!b) return Module._mw_fallback_loaded(0, 0);
    const ptr = _malloc(b.byteLength);
    HEAPU8.set(new Uint8Array(b), ptr);
    Module._mw_fallback_loaded(ptr, b.byteLength);
    _free(ptr);
  });
});

// Before each frame (drawn or not): the fallback font is fetched the first time a character no
// loaded font has arrives, and the atlas is rebuilt when characters it could draw are missing
// from it, at most every 250 ms (a burst of new text costs one rebuild), not while the fallback
// is on its way.
void update_glyphs() {
  auto& need = g.app.glyphs();
  if (need.wants_fallback() && g.fallback == Platform::Fallback::kNone) {
    g.fallback = Platform::Fallback::kLoading;
    report_fonts();
    js_load_fallback(kFallbackFont);
  }
  if (need.capped() && !g.cap_logged) {
    g.cap_logged = true;
    std::printf("fonts: more than %zu characters beyond the base ranges; the others show as missing glyphs\n",
                mw::web::GlyphNeeds::kMaxExtra);
  }
  if (!need.dirty() || g.fallback == Platform::Fallback::kLoading || g.frames == 0) return;
  if (emscripten_get_now() - g.built_at < 250) return;
  need.mark_built();
  const double start = emscripten_get_now();
  build_fonts(true);
  g.built_at = emscripten_get_now();
  g.build_ms = g.built_at - start;
  ++g.atlas_builds;
  report_fonts();
  wake();
}

// The fonts, fetched by loader.js while app.js and app.wasm load (compressed on the wire);
// each arrives through mw_font_loaded (0 bytes: it could not be fetched).
EM_JS(void, js_load_fonts, (), {
  const urls = ["fonts/DejaVuSans.ttf", "fonts/DejaVuSansMono.ttf"];
  const pending = Module.mwFonts || urls.map((u) => fetch(u).then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null));
  Promise.all(pending).then((buffers) => {
    buffers.forEach((b, i) => {
      if (!b) return Module._mw_font_loaded(i, 0, 0);
      const ptr = _malloc(b.byteLength);
      HEAPU8.set(new Uint8Array(b), ptr);
      Module._mw_font_loaded(i, ptr, b.byteLength);
      _free(ptr);
    });
  });
});

void load_fonts() {
  ImFontGlyphRangesBuilder b;
  b.AddRanges(ImGui::GetIO().Fonts->GetGlyphRangesDefault());
  static const ImWchar extra[] = {0x0100, 0x024F,  // Latin Extended-A/B
                                  0x0370, 0x03FF,  // Greek
                                  0x0400, 0x04FF,  // Cyrillic
                                  0x2000, 0x206F,  // punctuation
                                  0x2190, 0x21FF,  // arrows
                                  0x2500, 0x25FF,  // box drawing, blocks, geometric shapes
                                  0};
  b.AddRanges(extra);
  b.BuildRanges(&g.base_ranges);
  std::vector<mw::web::GlyphNeeds::Range> base;
  for (int i = 0; i + 1 < g.base_ranges.Size && g.base_ranges[i]; i += 2) base.emplace_back(g.base_ranges[i], g.base_ranges[i + 1]);
  g.app.glyphs().set_base(std::move(base));
  g.fonts_pending = 2;
  js_load_fonts();
}

}  // namespace

// Called from JS (js_load_fonts): font 0 is DejaVu Sans, 1 DejaVu Sans Mono.
extern "C" EMSCRIPTEN_KEEPALIVE void mw_font_loaded(int index, void* data, int size) {
  if (size > 0) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    auto& ttf = index == 1 ? g.mono_ttf : g.sans_ttf;
    ttf.assign(bytes, bytes + size);
    if (index == 0) g.app.glyphs().set_primary(mw::web::FontCoverage::parse(ttf));
  }
  if (--g.fonts_pending > 0) return;
  build_fonts(false);
  report_fonts();
  start_main_loop();
}

// Called from JS (js_load_fallback): the fallback font, or 0 bytes when it could not be fetched
// (then the characters that waited for it stay missing glyphs; it is not asked for again).
extern "C" EMSCRIPTEN_KEEPALIVE void mw_fallback_loaded(void* data, int size) {
  if (size > 0) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    g.fallback_ttf.assign(bytes, bytes + size);
    g.fallback = Platform::Fallback::kLoaded;
    g.app.glyphs().set_fallback(mw::web::FontCoverage::parse(g.fallback_ttf));
  } else {
    g.fallback = Platform::Fallback::kFailed;
    g.app.glyphs().set_fallback({});
    std::printf("fonts: %s could not be loaded; characters only it has show as missing glyphs\n", kFallbackFont);
  }
  report_fonts();
  wake();
}

// Called from the page (window.meshwork.atlasHas, tests): bit 1 when the default font has a glyph
// for `cp`, bit 2 when the monospace font has.
extern "C" EMSCRIPTEN_KEEPALIVE int mw_atlas_has(int cp) {
  if (cp <= 0 || cp > 0xFFFF) return 0;
  const ImFont* sans = ImGui::GetIO().FontDefault;
  const auto w = static_cast<ImWchar>(cp);
  return (sans && sans->FindGlyphNoFallback(w) ? 1 : 0) | (g.mono_font && g.mono_font->FindGlyphNoFallback(w) ? 2 : 0);
}

// Called from JS (js_listen_fullscreen).
extern "C" EMSCRIPTEN_KEEPALIVE void mw_fullscreen_changed(int on) {
  g.app.on_fullscreen_changed(on != 0);
  wake();
}

// Called from JS (js_setup_ime): committed input-method text, typed as characters.
extern "C" EMSCRIPTEN_KEEPALIVE void mw_ime_text(const char* text) {
  wake();
  g.app.glyphs().scan(text);  // composed CJK shows in the field it is typed into
  ImGuiIO& io = ImGui::GetIO();
  const std::string_view s(text);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + static_cast<std::size_t>(n) > s.size()) break;  // stringToUTF8 writes valid UTF-8
    char32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    i += static_cast<std::size_t>(n);
    g.app.on_input({mw::web::InputEvent::Kind::kChar, cp, {}, 0u});
    io.AddInputCharacter(static_cast<unsigned int>(cp));
  }
}

// Called from JS (js_listen_paste).
extern "C" EMSCRIPTEN_KEEPALIVE void mw_paste(const char* text) {
  wake();
  g.app.on_paste(text);
}

// Called from JS (js_pick_file, js_upload_file).
extern "C" EMSCRIPTEN_KEEPALIVE void mw_file_picked(int file, const char* name, double size) {
  wake();
  g.app.on_file_picked(file, name, static_cast<std::uint64_t>(size));
}

extern "C" EMSCRIPTEN_KEEPALIVE void mw_upload_sent() {
  wake();
  g.app.on_upload_progress();
}

int main() {
  if (!glfwInit()) return 1;
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  g.scale = static_cast<float>(std::clamp(emscripten_get_device_pixel_ratio(), 1.0, 4.0));
  g.window = glfwCreateWindow(1280, 800, "Meshwork", nullptr, nullptr);
  if (!g.window) return 1;
  glfwMakeContextCurrent(g.window);
  resize_to_css();
  emscripten_set_resize_callback(EMSCRIPTEN_EVENT_TARGET_WINDOW, nullptr, EM_FALSE,
                                 [](int, const EmscriptenUiEvent*, void*) {
                                   resize_to_css();
                                   wake();
                                   return EM_TRUE;
                                 });

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no imgui.ini in the browser
  io.ConfigFlags |= ImGuiConfigFlags_NoMouseCursorChange;  // set_css_cursor does it
  mw::web::apply_theme(g.scale);
  ImGui_ImplGlfw_InitForOpenGL(g.window, true);
  // Every input event wakes the loop, then goes on to ImGui's handler.
  static GLFWcursorposfun imgui_cursor = nullptr;
  static GLFWmousebuttonfun imgui_button = nullptr;
  static GLFWcharfun imgui_char = nullptr;
  static GLFWwindowfocusfun imgui_focus = nullptr;
  static GLFWcursorenterfun imgui_enter = nullptr;
  imgui_cursor = glfwSetCursorPosCallback(g.window, [](GLFWwindow* w, double x, double y) {
    wake();
    if (imgui_cursor) imgui_cursor(w, x, y);
  });
  imgui_button = glfwSetMouseButtonCallback(g.window, [](GLFWwindow* w, int b, int a, int m) {
    wake();
    if (imgui_button) imgui_button(w, b, a, m);
  });
  // The wheel comes from the DOM directly: emscripten's GLFW passes a "wheel" event's deltaY
  // unflipped (down is positive) and a legacy "mousewheel" event's flipped, and Chromium sends
  // both, so its scroll callback cancels itself out. Lines, as ImGui counts them.
  glfwSetScrollCallback(g.window, [](GLFWwindow*, double, double) {});
  emscripten_set_wheel_callback("#canvas", nullptr, EM_TRUE, [](int, const EmscriptenWheelEvent* e, void*) {
    wake();
    const double unit = e->deltaMode == DOM_DELTA_PIXEL ? 100.0 : e->deltaMode == DOM_DELTA_LINE ? 3.0 : 1.0;
    ImGuiIO& io = ImGui::GetIO();
    io.MouseWheel += static_cast<float>(-e->deltaY / unit);
    io.MouseWheelH += static_cast<float>(-e->deltaX / unit);
    return EM_TRUE;  // the page itself does not scroll
  });
  g.imgui_key = glfwSetKeyCallback(g.window, [](GLFWwindow* w, int k, int sc, int a, int m) {
    wake();
    if (a != GLFW_RELEASE) queue_key(k, m);
    if (a == GLFW_PRESS) g.pressed_since_frame.push_back(k);
    if (a == GLFW_RELEASE && std::find(g.pressed_since_frame.begin(), g.pressed_since_frame.end(), k) != g.pressed_since_frame.end()) {
      g.deferred_releases.push_back({k, sc, m});
      return;
    }
    if (g.imgui_key) g.imgui_key(w, k, sc, a, m);
  });
  imgui_char = glfwSetCharCallback(g.window, [](GLFWwindow* w, unsigned int c) {
    wake();
    g.app.glyphs().note(static_cast<char32_t>(c));
    g.app.on_input({mw::web::InputEvent::Kind::kChar, static_cast<char32_t>(c), {}, g.alt_held ? mw::term::mod::kAlt : 0u});
    if (imgui_char) imgui_char(w, c);
  });
  imgui_focus = glfwSetWindowFocusCallback(g.window, [](GLFWwindow* w, int f) {
    wake();
    if (!f) g.app.on_blur();  // key releases now go to another window: release what is held
    if (imgui_focus) imgui_focus(w, f);
  });
  imgui_enter = glfwSetCursorEnterCallback(g.window, [](GLFWwindow* w, int e) {
    wake();
    if (imgui_enter) imgui_enter(w, e);
  });
  emscripten_set_keydown_callback(EMSCRIPTEN_EVENT_TARGET_WINDOW, nullptr, EM_TRUE, on_dom_key);
  emscripten_set_keyup_callback(EMSCRIPTEN_EVENT_TARGET_WINDOW, nullptr, EM_TRUE, on_dom_key);
  ImGui_ImplOpenGL3_Init("#version 300 es");
  load_fonts();
  return 0;
}
