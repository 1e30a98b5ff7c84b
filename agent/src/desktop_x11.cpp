// X11 desktop for relay viewers (desktop.hpp).
#include "desktop.hpp"

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/XTest.h>
#include <rfb/rfb.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "agent.hpp"

namespace mw::agent {

namespace {

constexpr int kTile = 64;
constexpr auto kCaptureInterval = std::chrono::milliseconds(40);  // up to 25 captures a second

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

    rfbLog = quiet_log;
    rfbErr = quiet_log;
    screen_ = rfbGetScreen(nullptr, nullptr, width_, height_, 8, 3, 4);
    screen_->frameBuffer = static_cast<char*>(std::calloc(static_cast<std::size_t>(width_) * height_, 4));
    screen_->serverFormat.redShift = 16;  // the X image's layout: 0x00RRGGBB
    screen_->serverFormat.greenShift = 8;
    screen_->serverFormat.blueShift = 0;
    screen_->desktopName = name_.c_str();
    screen_->alwaysShared = TRUE;
    screen_->autoPort = FALSE;
    screen_->port = 0;  // no listening socket: viewers arrive through add_viewer
    screen_->ipv6port = 0;
    screen_->httpPort = 0;
    screen_->screenData = this;
    screen_->ptrAddEvent = &X11Desktop::on_pointer;
    screen_->kbdAddEvent = &X11Desktop::on_key;
    screen_->newClientHook = &X11Desktop::on_new_client;
    rfbInitServer(screen_);
    screen_->backgroundLoop = TRUE;  // one input and one output thread per viewer
    capture_thread_ = std::thread([this] { capture_loop(); });
  }

  ~X11Desktop() override {
    stop_ = true;
    if (capture_thread_.joinable()) capture_thread_.join();
    rfbShutdownServer(screen_, TRUE);
    std::free(screen_->frameBuffer);
    rfbScreenCleanup(screen_);
    if (shm_) {
      XShmDetach(capture_, &shm_info_);
      XDestroyImage(image_);
      shmdt(shm_info_.shmaddr);
    } else if (image_) {
      XDestroyImage(image_);
    }
    close_displays();
  }

  int add_viewer(bool view_only) override {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("no socket pair for a viewer");
    rfbClientPtr cl = rfbNewClient(screen_, fds[0]);
    if (!cl) {
      ::close(fds[1]);
      throw std::runtime_error("the RFB server refused a viewer");
    }
    cl->viewOnly = view_only ? TRUE : FALSE;
    rfbStartOnHoldClient(cl);
    return fds[1];
  }

 private:
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

  // Copies the tiles that changed into the framebuffer and tells libvncserver which.
  void capture_loop() {
    while (!stop_) {
      std::this_thread::sleep_for(kCaptureInterval);
      if (viewers_.load() == 0 || !grab()) continue;
      auto* fb = reinterpret_cast<std::uint8_t*>(screen_->frameBuffer);
      const auto* img = reinterpret_cast<const std::uint8_t*>(image_->data);
      const int stride = image_->bytes_per_line;
      for (int ty = 0; ty < height_; ty += kTile) {
        const int th = std::min(kTile, height_ - ty);
        for (int tx = 0; tx < width_; tx += kTile) {
          const int tw = std::min(kTile, width_ - tx);
          bool changed = false;
          for (int y = ty; y < ty + th && !changed; ++y) {
            changed = std::memcmp(fb + (static_cast<std::size_t>(y) * width_ + tx) * 4, img + static_cast<std::size_t>(y) * stride + tx * 4,
                                  static_cast<std::size_t>(tw) * 4) != 0;
          }
          if (!changed) continue;
          for (int y = ty; y < ty + th; ++y) {
            std::memcpy(fb + (static_cast<std::size_t>(y) * width_ + tx) * 4, img + static_cast<std::size_t>(y) * stride + tx * 4,
                        static_cast<std::size_t>(tw) * 4);
          }
          rfbMarkRectAsModified(screen_, tx, ty, tx + tw, ty + th);
        }
      }
    }
  }

  static X11Desktop* of(rfbClientPtr cl) { return static_cast<X11Desktop*>(cl->screen->screenData); }

  static enum rfbNewClientAction on_new_client(rfbClientPtr cl) {
    of(cl)->viewers_.fetch_add(1);
    cl->clientGoneHook = [](rfbClientPtr c) { of(c)->viewers_.fetch_sub(1); };
    return RFB_CLIENT_ACCEPT;
  }

  static void on_pointer(int mask, int x, int y, rfbClientPtr cl) {
    X11Desktop* d = of(cl);
    {
      std::lock_guard lock(d->input_mu_);
      XTestFakeMotionEvent(d->input_, -1, x, y, CurrentTime);
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
  rfbScreenInfoPtr screen_ = nullptr;
  std::thread capture_thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> viewers_{0};
  int buttons_ = 0;
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
