// X11 desktop for relay viewers (desktop.hpp).
#include "desktop.hpp"

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <X11/Xatom.h>
#include <X11/extensions/XTest.h>
#include <X11/extensions/Xfixes.h>
#include <X11/extensions/Xrandr.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <rfb/rfb.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <optional>
#include <thread>
#include <vector>

#include "agent.hpp"
#include "mw/proto/agent.hpp"
#include "mw/rfb/clipboard.hpp"
#include "mw/rfb/input_filter.hpp"

namespace mw::agent {

namespace {

constexpr int kTile = 64;
constexpr auto kCaptureInterval = std::chrono::milliseconds(40);  // up to 25 captures a second
// Clipboard text moved either way at most (libvncserver's own limit for a viewer's text).
constexpr std::size_t kMaxClipboard = 1 << 20;
// A new viewer gets the desktop's clipboard this long after it arrives: its RFB handshake and
// Extended Clipboard caps have come by then (through the relay, on any sane link).
constexpr auto kNewViewerClipboardDelay = std::chrono::milliseconds(1000);

void quiet_log(const char*, ...) {}

// Xlib's default error handler ends the process; an agent must survive a refused request (MIT-SHM
// in a container without shared memory, a window gone). Errors are counted and checked where
// they matter.
std::atomic<int> x_errors{0};
int on_x_error(Display*, XErrorEvent*) {
  x_errors.fetch_add(1);
  return 0;
}

class X11Desktop : public Desktop, public std::enable_shared_from_this<X11Desktop> {
 public:
  explicit X11Desktop(const std::string& display) : name_(display) {
    capture_ = XOpenDisplay(display.c_str());
    input_ = XOpenDisplay(display.c_str());
    if (!capture_ || !input_) {
      close_displays();
      throw std::runtime_error("cannot open X display " + display);
    }
    const int screen = DefaultScreen(capture_);
    root_ = RootWindow(capture_, screen);
    width_ = DisplayWidth(capture_, screen);
    height_ = DisplayHeight(capture_, screen);
    Visual* visual = DefaultVisual(capture_, screen);
    if (DefaultDepth(capture_, screen) < 24 || visual->red_mask != 0xff0000 || visual->green_mask != 0xff00 ||
        visual->blue_mask != 0xff) {
      close_displays();
      throw std::runtime_error("display " + display + " is not 24-bit true colour (the agent supports only that for now)");
    }
    int ev = 0, err = 0, major = 0, minor = 0;
    if (!XTestQueryExtension(input_, &ev, &err, &major, &minor)) {
      close_displays();
      throw std::runtime_error("display " + display + " has no XTEST extension (needed for input)");
    }
    init_capture(visual, DefaultDepth(capture_, screen));
    int rr_event = 0, rr_error = 0, rr_major = 0, rr_minor = 0;
    randr_ = XRRQueryExtension(input_, &rr_event, &rr_error) && XRRQueryVersion(input_, &rr_major, &rr_minor) &&
             (rr_major > 1 || (rr_major == 1 && rr_minor >= 5));

    rfbLog = quiet_log;
    rfbErr = quiet_log;
    capture_thread_ = std::thread([this] { capture_loop(); });
    start_clipboard(display);
  }

  ~X11Desktop() override {
    stop_ = true;
    if (capture_thread_.joinable()) capture_thread_.join();
    if (clip_thread_.joinable()) {
      wake_clipboard();
      clip_thread_.join();
    }
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
    if (clip_) XCloseDisplay(clip_);
    for (auto& v : views_) {
      rfbShutdownServer(v->screen, TRUE);
      std::free(v->screen->frameBuffer);
      rfbScreenCleanup(v->screen);
    }
    if (shm_) {
      XShmDetach(capture_, &shm_info_);
      XDestroyImage(image_);
      shmdt(shm_info_.shmaddr);
    } else if (image_) {
      XDestroyImage(image_);
    }
    close_displays();
  }

  std::vector<DisplayInfo> displays() override {
    std::vector<DisplayInfo> out{{0, "All displays", 0, 0, width_, height_, false}};
    std::lock_guard lock(input_mu_);
    int count = 0;
    XRRMonitorInfo* monitors = randr_ ? XRRGetMonitors(input_, root_, True, &count) : nullptr;
    for (int i = 0; i < count && static_cast<int>(out.size()) <= mw::proto::agent::kMaxDisplay; ++i) {
      const XRRMonitorInfo& m = monitors[i];
      char* atom = m.name != None ? XGetAtomName(input_, m.name) : nullptr;
      out.push_back({static_cast<int>(out.size()), atom ? atom : "Monitor " + std::to_string(i + 1), m.x, m.y, m.width, m.height,
                     m.primary != 0});
      if (atom) XFree(atom);
    }
    if (monitors) XRRFreeMonitors(monitors);
    return out;
  }

  int add_viewer(ViewerInput input, int display) override {
    const auto list = displays();
    if (display < 0 || display >= static_cast<int>(list.size())) {
      throw std::runtime_error("display " + std::to_string(display) + " does not exist on " + name_ + " (it has " +
                               std::to_string(list.size() - 1) + " monitors)");
    }
    const DisplayInfo& d = list[static_cast<std::size_t>(display)];
    // What of the monitor lies on the screen (a monitor may be defined beyond it).
    const int x0 = std::clamp(d.x, 0, width_), y0 = std::clamp(d.y, 0, height_);
    const int x1 = std::clamp(d.x + d.width, 0, width_), y1 = std::clamp(d.y + d.height, 0, height_);
    if (x1 <= x0 || y1 <= y0) throw std::runtime_error("display " + d.name + " lies outside the screen");
    View* v = view_for(x0, y0, x1 - x0, y1 - y0, display == 0 ? name_ : name_ + " " + d.name);
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("no socket pair for a viewer");
    rfbClientPtr cl = rfbNewClient(v->screen, fds[0]);
    if (!cl) {
      ::close(fds[1]);
      throw std::runtime_error("the RFB server refused a viewer");
    }
    cl->viewOnly = input == ViewerInput::kViewOnly ? TRUE : FALSE;
    // Marks a "limited input" viewer for on_key and the cut text handlers (libvncserver leaves
    // clientData to the application).
    if (input == ViewerInput::kLimited) cl->clientData = &kLimitedTag;
    rfbStartOnHoldClient(cl);
    return fds[1];
  }

 private:
  // One RFB server per area of the screen that viewers watch (the whole screen, a monitor), all
  // fed by the one capture. Kept for the agent's life once made (see Desktop::open).
  struct View {
    X11Desktop* desktop = nullptr;
    int x = 0, y = 0, w = 0, h = 0;
    std::string name;
    rfbScreenInfoPtr screen = nullptr;
    std::atomic<int> viewers{0};
  };

  View* view_for(int x, int y, int w, int h, const std::string& name) {
    std::lock_guard lock(views_mu_);
    for (auto& v : views_) {
      if (v->x == x && v->y == y && v->w == w && v->h == h) return v.get();
    }
    auto v = std::make_unique<View>();
    v->desktop = this;
    v->x = x;
    v->y = y;
    v->w = w;
    v->h = h;
    v->name = name;
    rfbScreenInfoPtr s = rfbGetScreen(nullptr, nullptr, w, h, 8, 3, 4);
    s->frameBuffer = static_cast<char*>(std::calloc(static_cast<std::size_t>(w) * h, 4));
    s->serverFormat.redShift = 16;  // the X image's layout: 0x00RRGGBB
    s->serverFormat.greenShift = 8;
    s->serverFormat.blueShift = 0;
    s->desktopName = v->name.c_str();
    s->alwaysShared = TRUE;
    s->autoPort = FALSE;
    s->port = 0;  // no listening socket: viewers arrive through add_viewer
    s->ipv6port = 0;
    s->httpPort = 0;
    s->screenData = v.get();
    s->ptrAddEvent = &X11Desktop::on_pointer;
    s->kbdAddEvent = &X11Desktop::on_key;
    s->newClientHook = &X11Desktop::on_new_client;
    s->setXCutText = &X11Desktop::on_cut_text;
    s->setXCutTextUTF8 = &X11Desktop::on_cut_text_utf8;
    rfbInitServer(s);
    s->backgroundLoop = TRUE;  // one input and one output thread per viewer
    v->screen = s;
    views_.push_back(std::move(v));
    return views_.back().get();
  }

  std::vector<View*> views() {
    std::lock_guard lock(views_mu_);
    std::vector<View*> out;
    for (auto& v : views_) out.push_back(v.get());
    return out;
  }

  void close_displays() {
    if (capture_) XCloseDisplay(capture_);
    if (input_) XCloseDisplay(input_);
    capture_ = input_ = nullptr;
  }

  void init_capture(Visual* visual, int depth) {
    int major = 0, minor = 0;
    Bool pixmaps = False;
    if (XShmQueryVersion(capture_, &major, &minor, &pixmaps)) {
      image_ = XShmCreateImage(capture_, visual, depth, ZPixmap, nullptr, &shm_info_, width_, height_);
      if (image_) {
        shm_info_.shmid = shmget(IPC_PRIVATE, static_cast<std::size_t>(image_->bytes_per_line) * height_, IPC_CREAT | 0600);
        shm_info_.shmaddr = image_->data = static_cast<char*>(shmat(shm_info_.shmid, nullptr, 0));
        shm_info_.readOnly = False;
        shmctl(shm_info_.shmid, IPC_RMID, nullptr);  // freed once both sides detach
        const int errors_before = x_errors.load();
        if (shm_info_.shmaddr != reinterpret_cast<char*>(-1) && XShmAttach(capture_, &shm_info_)) {
          XSync(capture_, False);
          if (x_errors.load() == errors_before) {
            shm_ = true;
            return;
          }
        }
        if (shm_info_.shmaddr != reinterpret_cast<char*>(-1)) shmdt(shm_info_.shmaddr);
        image_->data = nullptr;
        XDestroyImage(image_);
        image_ = nullptr;
      }
    }
    shm_ = false;  // a remote X server: XGetImage each time
  }

  bool grab() {
    if (shm_) return XShmGetImage(capture_, root_, image_, 0, 0, AllPlanes);
    if (image_) XDestroyImage(image_);
    image_ = XGetImage(capture_, root_, 0, 0, width_, height_, AllPlanes, ZPixmap);
    return image_ != nullptr;
  }

  // Copies the tiles that changed into each watched view's framebuffer and tells its RFB server
  // which.
  void capture_loop() {
    while (!stop_) {
      std::this_thread::sleep_for(kCaptureInterval);
      if (viewers_.load() == 0 || !grab()) continue;
      const auto* img = reinterpret_cast<const std::uint8_t*>(image_->data);
      const std::size_t stride = static_cast<std::size_t>(image_->bytes_per_line);
      for (View* v : views()) {
        if (v->viewers.load() > 0) update_view(*v, img, stride);
      }
    }
  }

  static void update_view(View& v, const std::uint8_t* img, std::size_t stride) {
    auto* fb = reinterpret_cast<std::uint8_t*>(v.screen->frameBuffer);
    const auto fb_stride = static_cast<std::size_t>(v.w) * 4;
    for (int ty = 0; ty < v.h; ty += kTile) {
      const int th = std::min(kTile, v.h - ty);
      for (int tx = 0; tx < v.w; tx += kTile) {
        const int tw = std::min(kTile, v.w - tx);
        const auto row_bytes = static_cast<std::size_t>(tw) * 4;
        const auto at_fb = [&](int y) { return fb + static_cast<std::size_t>(y) * fb_stride + static_cast<std::size_t>(tx) * 4; };
        const auto at_img = [&](int y) {
          return img + static_cast<std::size_t>(v.y + y) * stride + static_cast<std::size_t>(v.x + tx) * 4;
        };
        bool changed = false;
        for (int y = ty; y < ty + th && !changed; ++y) changed = std::memcmp(at_fb(y), at_img(y), row_bytes) != 0;
        if (!changed) continue;
        for (int y = ty; y < ty + th; ++y) std::memcpy(at_fb(y), at_img(y), row_bytes);
        rfbMarkRectAsModified(v.screen, tx, ty, tx + tw, ty + th);
      }
    }
  }

  static View* view_of(rfbClientPtr cl) { return static_cast<View*>(cl->screen->screenData); }
  static X11Desktop* of(rfbClientPtr cl) { return view_of(cl)->desktop; }

  static enum rfbNewClientAction on_new_client(rfbClientPtr cl) {
    X11Desktop* d = of(cl);
    view_of(cl)->viewers.fetch_add(1);
    d->viewers_.fetch_add(1);
    cl->clientGoneHook = [](rfbClientPtr c) {
      view_of(c)->viewers.fetch_sub(1);
      of(c)->viewers_.fetch_sub(1);
    };
    {
      std::lock_guard lock(d->clip_mu_);
      d->fetch_at_ = std::chrono::steady_clock::now() + kNewViewerClipboardDelay;
    }
    d->wake_clipboard();
    return RFB_CLIENT_ACCEPT;
  }

  // [SECTION] Clipboard
  //
  // A thread with its own X connection and an unmapped window bridges the desktop's CLIPBOARD
  // selection and the viewers' cut text (ICCCM §2):
  //  - a viewer's text (classic Latin-1 or Extended Clipboard UTF-8; libvncserver ignores it from
  //    view-only viewers) makes the window own CLIPBOARD and PRIMARY and answer SelectionRequests
  //    for TARGETS, UTF8_STRING, TEXT, text/plain;charset=utf-8 and STRING;
  //  - XFixes reports every new CLIPBOARD owner; the thread converts the selection to UTF8_STRING
  //    (STRING when the owner has no UTF-8), reading INCR transfers in parts, and sends the text to
  //    every viewer that may control the desktop (view-only viewers never receive the clipboard).
  // Text beyond 1 MiB is cut (receiving) or refused (serving a request larger than the X server
  // takes in one property: INCR is read, never written).

  static inline char kLimitedTag = 0;
  static bool limited(rfbClientPtr cl) { return cl->clientData == &kLimitedTag; }

  static void on_cut_text(char* str, int len, rfbClientPtr cl) {
    if (len < 0 || limited(cl)) return;
    of(cl)->post_to_x11(mw::rfb::clipboard::from_latin1(std::string_view(str, static_cast<std::size_t>(len))));
  }

  static void on_cut_text_utf8(char* str, int len, rfbClientPtr cl) {
    if (len < 0 || limited(cl)) return;
    std::string_view text(str, static_cast<std::size_t>(len));
    if (const auto nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
    of(cl)->post_to_x11(mw::rfb::clipboard::to_lf(text));
  }

  void post_to_x11(std::string text) {
    if (!clip_) return;
    {
      std::lock_guard lock(clip_mu_);
      to_x11_ = std::string(mw::rfb::clipboard::truncate_utf8(text, kMaxClipboard));
    }
    wake_clipboard();
  }

  void wake_clipboard() {
    if (wake_[1] < 0) return;
    const char b = 1;
    [[maybe_unused]] const auto n = ::write(wake_[1], &b, 1);  // a full pipe already wakes the thread
  }

  void start_clipboard(const std::string& display) {
    int fixes_error = 0;
    clip_ = XOpenDisplay(display.c_str());
    if (!clip_ || !XFixesQueryExtension(clip_, &fixes_event_, &fixes_error) ||
        pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
      if (clip_) XCloseDisplay(clip_);
      clip_ = nullptr;
      log_line("desktop " + name_ + ": no clipboard (the display has no XFIXES extension)");
      return;
    }
    clip_win_ = XCreateSimpleWindow(clip_, DefaultRootWindow(clip_), 0, 0, 1, 1, 0, 0, 0);
    XSelectInput(clip_, clip_win_, PropertyChangeMask);
    const char* names[] = {"CLIPBOARD", "TARGETS", "UTF8_STRING", "TEXT", "text/plain;charset=utf-8", "INCR", "MW_CLIPBOARD"};
    Atom atoms[7];
    XInternAtoms(clip_, const_cast<char**>(names), 7, False, atoms);
    a_clipboard_ = atoms[0];
    a_targets_ = atoms[1];
    a_utf8_ = atoms[2];
    a_text_ = atoms[3];
    a_text_plain_ = atoms[4];
    a_incr_ = atoms[5];
    a_property_ = atoms[6];
    XFixesSelectSelectionInput(clip_, DefaultRootWindow(clip_), a_clipboard_, XFixesSetSelectionOwnerNotifyMask);
    XFlush(clip_);
    // The largest property one request may set (bytes, with room for the request's header).
    const long words = XExtendedMaxRequestSize(clip_) > 0 ? XExtendedMaxRequestSize(clip_) : XMaxRequestSize(clip_);
    max_property_ = static_cast<std::size_t>(words) * 4 - 64;
    clip_thread_ = std::thread([this] { clipboard_loop(); });
  }

  void clipboard_loop() {
    pollfd fds[2] = {{ConnectionNumber(clip_), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    while (!stop_) {
      while (XPending(clip_) > 0) {
        XEvent ev;
        XNextEvent(clip_, &ev);
        on_clipboard_event(ev);
      }
      std::optional<std::string> text;
      bool fetch = false;
      int wait_ms = 500;
      {
        std::lock_guard lock(clip_mu_);
        text.swap(to_x11_);
        if (fetch_at_) {
          const auto now = std::chrono::steady_clock::now();
          if (now >= *fetch_at_) {
            fetch = true;
            fetch_at_.reset();
          } else {
            wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(*fetch_at_ - now).count()) + 1;
          }
        }
      }
      if (text) take_selection(std::move(*text));
      if (fetch) fetch_for_viewers();
      XFlush(clip_);
      if (XPending(clip_) > 0) continue;
      fds[0].revents = fds[1].revents = 0;
      if (::poll(fds, 2, std::min(wait_ms, 500)) > 0 && (fds[1].revents & POLLIN)) {
        char drain[64];
        while (::read(wake_[0], drain, sizeof drain) > 0) {
        }
      }
    }
  }

  void take_selection(std::string text) {
    owned_ = std::move(text);
    XSetSelectionOwner(clip_, a_clipboard_, clip_win_, CurrentTime);
    XSetSelectionOwner(clip_, XA_PRIMARY, clip_win_, CurrentTime);
  }

  // A new viewer: what the desktop holds now (ours, or converted from its owner).
  void fetch_for_viewers() {
    const Window owner = XGetSelectionOwner(clip_, a_clipboard_);
    if (owner == None) return;
    if (owner == clip_win_) {
      send_to_viewers(std::string(mw::rfb::clipboard::fit_extended(owned_, kMaxClipboard)));
    } else {
      convert(a_utf8_);
    }
  }

  void convert(Atom target) {
    converting_ = target;
    incr_ = false;  // a transfer that never finished is abandoned
    incoming_.clear();
    XDeleteProperty(clip_, clip_win_, a_property_);
    XConvertSelection(clip_, a_clipboard_, target, a_property_, clip_win_, CurrentTime);
  }

  void on_clipboard_event(XEvent& ev) {
    if (ev.type == fixes_event_ + XFixesSelectionNotify) {
      const auto& n = reinterpret_cast<XFixesSelectionNotifyEvent&>(ev);
      if (n.selection == a_clipboard_ && n.owner != None && n.owner != clip_win_ && viewers_.load() > 0) convert(a_utf8_);
      return;
    }
    switch (ev.type) {
      case SelectionRequest: answer_request(ev.xselectionrequest); break;
      case SelectionNotify: {
        const XSelectionEvent& n = ev.xselection;
        if (n.selection != a_clipboard_ || n.target != converting_) break;
        if (n.property == None) {  // the owner has no such target: try Latin-1 once
          if (converting_ == a_utf8_) {
            convert(XA_STRING);
          } else {
            converting_ = None;
          }
          break;
        }
        read_property(true);
        break;
      }
      case PropertyNotify:
        if (incr_ && ev.xproperty.window == clip_win_ && ev.xproperty.atom == a_property_ && ev.xproperty.state == PropertyNewValue) {
          read_property(false);
        }
        break;
      default: break;
    }
  }

  // The converted selection in our property: whole, the start of an INCR transfer, or (incr_) its
  // next part; an empty part ends INCR. Reading deletes the property, which asks for the next.
  void read_property(bool first) {
    Atom type = None;
    int format = 0;
    unsigned long items = 0, after = 0;
    unsigned char* data = nullptr;
    const long max_words = static_cast<long>((kMaxClipboard + 3) / 4 + 1);
    if (XGetWindowProperty(clip_, clip_win_, a_property_, 0, max_words, True, AnyPropertyType, &type, &format, &items,
                           &after, &data) != Success) {
      incr_ = false;
      return;
    }
    const std::size_t bytes = format == 8 ? items : format == 16 ? items * 2 : items * 4;
    if (first && type == a_incr_) {
      incr_ = true;
      incr_type_ = None;
      incoming_.clear();
      if (data) XFree(data);
      return;
    }
    if (data && format == 8) {
      if (incr_type_ == None) incr_type_ = type;
      const std::size_t room = kMaxClipboard - std::min(kMaxClipboard, incoming_.size());
      incoming_.append(reinterpret_cast<const char*>(data), std::min(bytes, room));
    }
    if (data) XFree(data);
    if (incr_ && bytes > 0) return;  // more parts come
    const Atom got = incr_ ? incr_type_ : type;
    incr_ = false;
    converting_ = None;
    std::string text = got == XA_STRING ? mw::rfb::clipboard::from_latin1(incoming_) : mw::rfb::clipboard::to_lf(incoming_);
    incoming_.clear();
    // Cut so that its extended form (CRLF, NUL) fits what viewers take (1 MiB, as libvncserver).
    send_to_viewers(std::string(mw::rfb::clipboard::fit_extended(text, kMaxClipboard)));
  }

  void answer_request(const XSelectionRequestEvent& r) {
    XSelectionEvent reply{};
    reply.type = SelectionNotify;
    reply.display = r.display;
    reply.requestor = r.requestor;
    reply.selection = r.selection;
    reply.target = r.target;
    reply.time = r.time;
    reply.property = None;  // refused unless set below
    const Atom property = r.property != None ? r.property : r.target;  // obsolete requestors name none
    if (r.owner == clip_win_ && (r.selection == a_clipboard_ || r.selection == XA_PRIMARY)) {
      if (r.target == a_targets_) {
        const Atom targets[] = {a_targets_, a_utf8_, a_text_plain_, a_text_, XA_STRING};
        XChangeProperty(clip_, r.requestor, property, XA_ATOM, 32, PropModeReplace, reinterpret_cast<const unsigned char*>(targets),
                        static_cast<int>(std::size(targets)));
        reply.property = property;
      } else if (r.target == a_utf8_ || r.target == a_text_ || r.target == a_text_plain_ || r.target == XA_STRING) {
        const std::string data = r.target == XA_STRING ? mw::rfb::clipboard::to_latin1(owned_) : owned_;
        if (data.size() <= max_property_) {
          XChangeProperty(clip_, r.requestor, property, r.target == XA_STRING ? XA_STRING : a_utf8_, 8, PropModeReplace,
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
          reply.property = property;
        }
      }
    }
    XSendEvent(clip_, r.requestor, False, NoEventMask, reinterpret_cast<XEvent*>(&reply));
  }

  // To every viewer that may control the desktop, in the form it reads: an Extended Clipboard
  // provide (when its caps take that size unsolicited), a notify (it asks; libvncserver answers
  // from extClipboardData), or classic Latin-1.
  void send_to_viewers(const std::string& text) {
    namespace cb = mw::rfb::clipboard;
    std::vector<std::uint8_t> provide, notify, classic;
    std::string wire;  // CRLF line ends and a NUL, as extended text travels
    for (View* view : views()) {
      rfbClientIteratorPtr it = rfbGetClientIterator(view->screen);
      while (rfbClientPtr cl = rfbClientIteratorNext(it)) {
        if (cl->viewOnly || cl->state != rfbClientRec::RFB_NORMAL || cl->sock < 0) continue;
        const bool ext = cl->enableExtendedClipboard && (cl->extClipboardUserCap & cb::flag::kText);
        if (wire.empty()) {
          wire = cb::to_crlf(text);
          wire.push_back('\0');
        }
        const std::vector<std::uint8_t>* message = nullptr;
        pthread_mutex_lock(&cl->sendMutex);
        if (ext && (cl->extClipboardUserCap & cb::flag::kProvide) && wire.size() <= cl->extClipboardMaxUnsolicitedSize) {
          if (provide.empty()) provide = cb::provide_text(cb::kServerCutText, text);
          message = &provide;
        } else if (ext && (cl->extClipboardUserCap & cb::flag::kNotify)) {
          std::free(cl->extClipboardData);
          cl->extClipboardData = static_cast<char*>(std::malloc(wire.size()));
          cl->extClipboardDataSize = cl->extClipboardData ? static_cast<int>(wire.size()) : 0;
          if (cl->extClipboardData) std::memcpy(cl->extClipboardData, wire.data(), wire.size());
          if (notify.empty()) notify = cb::action(cb::kServerCutText, cb::flag::kNotify | cb::flag::kText);
          message = &notify;
        } else {
          if (classic.empty()) {
            const std::string latin1 = cb::to_latin1(text);
            classic = {3, 0, 0, 0};
            for (int shift = 24; shift >= 0; shift -= 8) classic.push_back(static_cast<std::uint8_t>(latin1.size() >> shift));
            classic.insert(classic.end(), latin1.begin(), latin1.end());
          }
          message = &classic;
        }
        if (rfbWriteExact(cl, reinterpret_cast<const char*>(message->data()), static_cast<int>(message->size())) < 0) rfbCloseClient(cl);
        pthread_mutex_unlock(&cl->sendMutex);
      }
      rfbReleaseClientIterator(it);
    }
  }

  static void on_pointer(int mask, int x, int y, rfbClientPtr cl) {
    X11Desktop* d = of(cl);
    const View* v = view_of(cl);
    {
      std::lock_guard lock(d->input_mu_);
      XTestFakeMotionEvent(d->input_, -1, v->x + x, v->y + y, CurrentTime);
      for (int b = 0; b < 5; ++b) {
        const bool now = (mask >> b) & 1, before = (d->buttons_ >> b) & 1;
        if (now != before) XTestFakeButtonEvent(d->input_, static_cast<unsigned>(b + 1), now, CurrentTime);
      }
      d->buttons_ = mask;
      XFlush(d->input_);
    }
    rfbDefaultPtrAddEvent(mask, x, y, cl);
  }

  static void on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl) {
    if (limited(cl) && !mw::rfb::limited_input_key(keysym)) return;
    X11Desktop* d = of(cl);
    std::lock_guard lock(d->input_mu_);
    const KeyCode code = XKeysymToKeycode(d->input_, keysym);
    if (code == 0) return;  // not on this keyboard map
    XTestFakeKeyEvent(d->input_, code, down ? True : False, CurrentTime);
    XFlush(d->input_);
  }

  std::string name_;
  Display* capture_ = nullptr;  // capture thread only
  Display* input_ = nullptr;    // viewers' input threads, under input_mu_
  std::mutex input_mu_;
  Window root_ = 0;
  int width_ = 0, height_ = 0;
  XImage* image_ = nullptr;
  XShmSegmentInfo shm_info_{};
  bool shm_ = false;
  bool randr_ = false;  // RandR 1.5 (monitors)
  std::mutex views_mu_;
  std::vector<std::unique_ptr<View>> views_;
  std::thread capture_thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> viewers_{0};  // of every view
  int buttons_ = 0;

  // Clipboard (the clipboard thread's, except what clip_mu_ guards).
  Display* clip_ = nullptr;
  Window clip_win_ = 0;
  int fixes_event_ = 0;
  Atom a_clipboard_ = None, a_targets_ = None, a_utf8_ = None, a_text_ = None, a_text_plain_ = None, a_incr_ = None,
       a_property_ = None;
  std::size_t max_property_ = 0;
  std::string owned_;     // the text served while the window owns the selections
  Atom converting_ = None;  // the target of the conversion under way
  bool incr_ = false;
  Atom incr_type_ = None;
  std::string incoming_;
  std::thread clip_thread_;
  int wake_[2] = {-1, -1};
  std::mutex clip_mu_;
  std::optional<std::string> to_x11_;  // a viewer's text, for the thread
  std::optional<std::chrono::steady_clock::time_point> fetch_at_;
};

}  // namespace

std::shared_ptr<Desktop> Desktop::open(const std::string& requested) {
  static std::once_flag threads;
  std::call_once(threads, [] {
    XInitThreads();
    XSetErrorHandler(on_x_error);
  });
  std::string display = requested;
  if (display.empty()) {
    const char* env = std::getenv("DISPLAY");
    display = env && *env ? env : ":0";
  }
  // One desktop per display, shared by its viewers. Kept once opened (its capture rests while
  // nobody watches): tearing libvncserver down under live viewer threads is not safe.
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<Desktop>> open_desktops;
  std::lock_guard lock(mu);
  if (auto d = open_desktops[display]) return d;
  auto d = std::make_shared<X11Desktop>(display);
  open_desktops[display] = d;
  return d;
}

}  // namespace mw::agent
