// xanimate: changes the whole X screen continuously until killed, for frame-rate benchmarks of
// remote desktops (scripts/bench.sh web).
//
//   DISPLAY=:5 xanimate [--fps 60] [--speed 8] [--seconds 0]
//
// A picture as wide as the screen (diagonal gradient bands with lines of text-like marks, so that
// it is neither flat nor noise) is put once into a server-side pixmap twice the screen's width,
// repeated. Every frame copies the screen's width of it onto the root window from an offset that
// moves `speed` pixels to the left per frame, wrapping seamlessly: every pixel row changes every
// frame, yet each frame costs the X server one copy and this program almost nothing. Frames are
// paced on absolute deadlines at `fps`; a frame that misses its deadline is not made up for.
// On SIGTERM or SIGINT (or after --seconds) it prints the frames drawn and the rate reached to
// stderr and exits 0.
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

// The X server went away: expected while stopping (a benchmark stops Xvfb and this at once).
int on_io_error(Display*) {
  if (!g_stop) std::fprintf(stderr, "xanimate: lost the X server\n");
  std::_Exit(g_stop ? 0 : 1);
}

double now_s() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Deterministic pseudo-random numbers: the same picture on every run.
struct Lcg {
  std::uint32_t x;
  std::uint32_t next() {
    x = x * 1664525u + 1013904223u;
    return x >> 8;
  }
};

std::uint32_t rgb(int r, int g, int b) {
  return (static_cast<std::uint32_t>(r) << 16) | (static_cast<std::uint32_t>(g) << 8) | static_cast<std::uint32_t>(b);
}

// The picture, `w` x `h` pixels of 0x00RRGGBB: diagonal bands (w / 24 pixels wide, so that the
// colours repeat three times across and meet themselves where the picture wraps) whose colour walks
// round a palette, a gradient across each band, and every 18 rows a line of 6x9 glyph-like marks
// (words of 2-10 marks) in dark or light ink.
std::vector<std::uint32_t> picture(int w, int h) {
  std::vector<std::uint32_t> px(static_cast<std::size_t>(w) * h);
  static const int kPalette[][3] = {{220, 80, 60},  {240, 180, 50}, {90, 190, 90},  {60, 150, 210},
                                    {120, 90, 200}, {200, 90, 170}, {230, 230, 230}, {40, 50, 70}};
  const int band_w = w / 24 > 8 ? w / 24 : 8;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int d = x + y / 2;
      const int band = (d / band_w) % 8;
      const int t = d % band_w * 96 / band_w;  // 0..95 across the band
      const int* c = kPalette[band];
      const int shade = 64 + t;  // 64..159 of 160
      px[static_cast<std::size_t>(y) * w + x] = rgb(c[0] * shade / 160, c[1] * shade / 160, c[2] * shade / 160);
    }
  }
  Lcg rand{2024};
  std::uint8_t glyphs[64][9];  // 6 columns as bits
  for (auto& g : glyphs) {
    std::memset(g, 0, sizeof g);
    const int strokes = 2 + static_cast<int>(rand.next() % 3);
    for (int s = 0; s < strokes; ++s) {
      if (rand.next() % 2) {
        const int col = static_cast<int>(rand.next() % 5), top = 1 + static_cast<int>(rand.next() % 4);
        for (int j = top; j < 9 && j < top + 3 + static_cast<int>(rand.next() % 5); ++j) g[j] |= static_cast<std::uint8_t>(1u << col);
      } else {
        const int row = 1 + static_cast<int>(rand.next() % 8), left = static_cast<int>(rand.next() % 3);
        for (int i = left; i < 5 && i < left + 2 + static_cast<int>(rand.next() % 3); ++i) g[row] |= static_cast<std::uint8_t>(1u << i);
      }
    }
  }
  for (int line = 4; line + 9 < h; line += 18) {
    int x = 8 + static_cast<int>(rand.next() % 40);
    while (x + 7 < w - 8) {
      const int len = 2 + static_cast<int>(rand.next() % 9);
      const std::uint32_t ink = rand.next() % 3 == 0 ? rgb(250, 250, 250) : rgb(16, 16, 24);
      for (int n = 0; n < len && x + 7 < w - 8; ++n, x += 7) {
        const auto& g = glyphs[rand.next() % 64];
        for (int j = 0; j < 9; ++j) {
          for (int i = 0; i < 6; ++i) {
            if (g[j] & (1u << i)) px[static_cast<std::size_t>(line + j) * w + x + i] = ink;
          }
        }
      }
      x += 7 + static_cast<int>(rand.next() % 30);  // a space, sometimes a wide one
    }
  }
  return px;
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: xanimate [--fps N] [--speed PIXELS] [--seconds S]   (the display is $DISPLAY)\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  double fps = 60, seconds = 0;
  int speed = 8;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage();
    if (a == "--fps") fps = std::atof(argv[++i]);
    else if (a == "--speed") speed = std::atoi(argv[++i]);
    else if (a == "--seconds") seconds = std::atof(argv[++i]);
    else usage();
  }
  if (!(fps > 0 && fps <= 1000) || speed <= 0 || seconds < 0) usage();

  Display* dpy = XOpenDisplay(nullptr);
  if (!dpy) {
    std::fprintf(stderr, "xanimate: cannot open display %s\n", XDisplayName(nullptr));
    return 1;
  }
  XSetIOErrorHandler(on_io_error);
  const int screen = DefaultScreen(dpy);
  const Window root = RootWindow(dpy, screen);
  const int w = DisplayWidth(dpy, screen), h = DisplayHeight(dpy, screen);
  const int depth = DefaultDepth(dpy, screen);
  Visual* visual = DefaultVisual(dpy, screen);
  if (depth != 24 || visual->red_mask != 0xff0000 || visual->green_mask != 0xff00 || visual->blue_mask != 0xff) {
    std::fprintf(stderr, "xanimate: the screen must be 24-bit true colour (Xvfb -screen 0 WxHx24)\n");
    return 1;
  }

  // The picture twice side by side in a pixmap: a copy from any offset in [0, w) is seamless.
  const std::vector<std::uint32_t> one = picture(w, h);
  std::vector<std::uint32_t> twice(static_cast<std::size_t>(2) * w * h);
  for (int y = 0; y < h; ++y) {
    std::memcpy(&twice[static_cast<std::size_t>(y) * 2 * w], &one[static_cast<std::size_t>(y) * w], sizeof(std::uint32_t) * w);
    std::memcpy(&twice[static_cast<std::size_t>(y) * 2 * w + w], &one[static_cast<std::size_t>(y) * w], sizeof(std::uint32_t) * w);
  }
  const Pixmap pix = XCreatePixmap(dpy, root, static_cast<unsigned>(2 * w), static_cast<unsigned>(h), static_cast<unsigned>(depth));
  const GC gc = XCreateGC(dpy, root, 0, nullptr);
  XImage* img = XCreateImage(dpy, visual, static_cast<unsigned>(depth), ZPixmap, 0, reinterpret_cast<char*>(twice.data()),
                             static_cast<unsigned>(2 * w), static_cast<unsigned>(h), 32, 0);
  if (!img) {
    std::fprintf(stderr, "xanimate: XCreateImage failed\n");
    return 1;
  }
  XPutImage(dpy, pix, gc, img, 0, 0, 0, 0, static_cast<unsigned>(2 * w), static_cast<unsigned>(h));  // Xlib splits it
  img->data = nullptr;  // owned by `twice`
  XDestroyImage(img);
  XSync(dpy, False);

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  const auto period_ns = static_cast<long long>(1e9 / fps);
  timespec next{};
  clock_gettime(CLOCK_MONOTONIC, &next);
  const double t0 = now_s();
  long long frames = 0, missed = 0;
  int offset = 0;
  while (!g_stop && (seconds == 0 || now_s() - t0 < seconds)) {
    XCopyArea(dpy, pix, root, gc, offset, 0, static_cast<unsigned>(w), static_cast<unsigned>(h), 0, 0);
    XSync(dpy, False);  // one frame in flight at most: the X server is never queued up
    ++frames;
    offset = (offset + speed) % w;
    long long ns = next.tv_nsec + period_ns;
    next.tv_sec += static_cast<time_t>(ns / 1000000000LL);
    next.tv_nsec = static_cast<long>(ns % 1000000000LL);
    timespec cur{};
    clock_gettime(CLOCK_MONOTONIC, &cur);
    if (cur.tv_sec > next.tv_sec || (cur.tv_sec == next.tv_sec && cur.tv_nsec > next.tv_nsec)) {
      ++missed;  // late: start again from now rather than drawing a burst
      next = cur;
      continue;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr) == EINTR && !g_stop) {
    }
  }
  const double elapsed = now_s() - t0;
  std::fprintf(stderr, "xanimate: %lld frames in %.2f s (%.1f fps, %lld late) at %dx%d\n", frames, elapsed,
               elapsed > 0 ? static_cast<double>(frames) / elapsed : 0.0, missed, w, h);
  XFreeGC(dpy, gc);
  XFreePixmap(dpy, pix);
  XCloseDisplay(dpy);
  return 0;
}
