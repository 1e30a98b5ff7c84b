// noVNC (npm @novnc/novnc) decoding a Meshwork RFB capture (mw/rfb/capture.hpp): the baseline of
// scripts/bench.sh rfb. noVNC's own decoder classes (core/decoders/*.js, with core/inflator.js
// over its vendored pako) are driven the way its RFB class drives them (core/rfb.js:
// _handleMessage, _normalMsg, _framebufferUpdate, _handleRect), reading from a receive queue that
// mirrors core/websock.js and drawing into a display that writes real pixels into an RGBA array.
//
// What is measured is noVNC's JavaScript decoding plus plain array writes: the browser's canvas
// work (putImageData, fillRect, drawImage, the flip to the visible canvas) is not there, so the
// figure is an upper bound of what noVNC reaches in a browser. JPEG rectangles (Tight JPEG) are
// handed to the browser's image decoder by noVNC (Display.imageRect); Node has none, so they are
// counted and left undrawn, and such captures are not comparable.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

// noVNC's logging module binds window.console when it loads: the one browser global the
// decoders need. Imports are dynamic so that this is set before they are evaluated.
globalThis.window ??= { console, Error };
// The package exports only core/rfb.js, whose imports need a DOM; its folder gives the decoders.
const core = new URL('.', import.meta.resolve('@novnc/novnc'));
const load = async (file) => (await import(new URL(file, core).href)).default;
const { encodings } = await import(new URL('encodings.js', core).href);
const decoderClasses = {
  [encodings.encodingRaw]: await load('decoders/raw.js'),
  [encodings.encodingCopyRect]: await load('decoders/copyrect.js'),
  [encodings.encodingRRE]: await load('decoders/rre.js'),
  [encodings.encodingHextile]: await load('decoders/hextile.js'),
  [encodings.encodingZRLE]: await load('decoders/zrle.js'),
  [encodings.encodingTight]: await load('decoders/tight.js'),
};

export const novncVersion = JSON.parse(readFileSync(new URL('../package.json', core), 'utf8')).version;

// What a browser WebSocket hands noVNC per message event; the same 64 KiB pieces as
// tests/bench/rfb_bench.cpp feeds to shared/rfb.
const kMessageBytes = 64 * 1024;

// [SECTION] Captures

// A capture file: one JSON header line, then the server-to-client bytes; gzip when it starts
// with gzip's magic.
export function readCapture(file) {
  let data = readFileSync(file);
  if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
  const eol = data.indexOf(0x0a);
  if (eol < 0) throw new Error(`${file}: no header line`);
  const header = JSON.parse(data.subarray(0, eol).toString('utf8'));
  if (header.format !== 'meshwork-rfb-capture') throw new Error(`${file}: not a Meshwork RFB capture`);
  return { ...header, bytes: new Uint8Array(data.subarray(eol + 1)) };
}

// How noVNC can take a capture's pixel format: { depth, order } where depth is what its RFB class
// passes to decodeRect (24 or 8) and order[k] names the colour ('r', 'g', 'b') that lands in
// canvas channel k; or { reason } when noVNC cannot decode it.
//
// noVNC asks every server for its own formats (RFB.messages.pixelFormat): 32 bpp depth 24
// little-endian with shifts 0/8/16, or for "Intel(r) AMT KVM" 8 bpp with 2 bits per colour at
// shifts 0/2/4. Its 32 bpp decoders copy pixel byte k into canvas channel k, so a capture in
// another byte order of 8-bit colours costs exactly the same work and only permutes channels;
// Tight's 3-byte TPIXEL is red, green, blue whatever the shifts (as shared/rfb reads it).
export function novncSupport(capture) {
  const pf = capture.pixelFormat;
  if (!pf.trueColour) return { reason: 'colour-mapped pixels' };
  if (pf.bitsPerPixel === 32 && pf.depth === 24 && pf.redMax === 255 && pf.greenMax === 255 && pf.blueMax === 255) {
    const byteOf = (shift) => (pf.bigEndian ? 3 - shift / 8 : shift / 8);
    const order = [];
    for (const [colour, shift] of [['r', pf.redShift], ['g', pf.greenShift], ['b', pf.blueShift]]) {
      if (shift % 8 !== 0 || shift > 24) return { reason: `colour shift ${shift} is not a byte` };
      order[byteOf(shift)] = colour;
    }
    if (order.slice(0, 3).includes(undefined)) return { reason: 'a colour in the 4th byte of the pixel' };
    return { depth: 24, order: order.slice(0, 3) };
  }
  if (pf.bitsPerPixel === 8 && pf.redMax === 3 && pf.greenMax === 3 && pf.blueMax === 3 &&
      pf.redShift === 0 && pf.greenShift === 2 && pf.blueShift === 4) {
    return { depth: 8, order: ['r', 'g', 'b'] };
  }
  return { reason: `${pf.bitsPerPixel} bpp depth ${pf.depth} (noVNC takes 32 bpp depth 24, or its own 8 bpp BGR222)` };
}

// [SECTION] core/websock.js's receive queue

// The rQ* methods of noVNC 1.7's Websock with the same semantics (the decoders rely on them:
// rQshiftBytes(n, false) returns a view into the queue that Raw and Hextile then write alpha
// into; rQshiftTo assumes the queue starts at offset 0 of its buffer; rQwait's `goback` rewinds),
// and push() doing what _recvMessage does with a message's data: restart an empty queue, compact
// or grow it (_expandCompactRQ), append.
class ReceiveQueue {
  static kMaxGrow = 40 * 1024 * 1024;

  constructor() {
    this._rQi = 0;
    this._rQlen = 0;
    this._rQbufferSize = 4 * 1024 * 1024;
    this._rQ = new Uint8Array(this._rQbufferSize);
  }

  push(u8) {
    if (this._rQlen === this._rQi) {
      this._rQlen = 0;
      this._rQi = 0;
    }
    if (u8.length > this._rQbufferSize - this._rQlen) this._expandCompactRQ(u8.length);
    this._rQ.set(u8, this._rQlen);
    this._rQlen += u8.length;
  }

  _expandCompactRQ(minFit) {
    const requiredBufferSize = (this._rQlen - this._rQi + minFit) * 8;
    const resizeNeeded = this._rQbufferSize < requiredBufferSize;
    if (resizeNeeded) this._rQbufferSize = Math.max(this._rQbufferSize * 2, requiredBufferSize);
    if (this._rQbufferSize > ReceiveQueue.kMaxGrow) {
      this._rQbufferSize = ReceiveQueue.kMaxGrow;
      if (this._rQbufferSize - (this._rQlen - this._rQi) < minFit) {
        throw new Error(`Receive queue buffer exceeded ${ReceiveQueue.kMaxGrow} bytes, and the new message could not fit`);
      }
    }
    if (resizeNeeded) {
      const old = this._rQ.buffer;
      this._rQ = new Uint8Array(this._rQbufferSize);
      this._rQ.set(new Uint8Array(old, this._rQi, this._rQlen - this._rQi));
    } else {
      this._rQ.copyWithin(0, this._rQi, this._rQlen);
    }
    this._rQlen -= this._rQi;
    this._rQi = 0;
  }

  rQpeek8() { return this._rQ[this._rQi]; }
  rQskipBytes(bytes) { this._rQi += bytes; }
  rQshift8() { return this._rQshift(1); }
  rQshift16() { return this._rQshift(2); }
  rQshift32() { return this._rQshift(4); }

  _rQshift(bytes) {
    let res = 0;
    for (let byte = bytes - 1; byte >= 0; byte--) res += this._rQ[this._rQi++] << (byte * 8);
    return res >>> 0;
  }

  rQlen() { return this._rQlen - this._rQi; }

  rQshiftBytes(len, copy = true) {
    this._rQi += len;
    return copy ? this._rQ.slice(this._rQi - len, this._rQi) : this._rQ.subarray(this._rQi - len, this._rQi);
  }

  rQshiftTo(target, len) {
    target.set(new Uint8Array(this._rQ.buffer, this._rQi, len));
    this._rQi += len;
  }

  rQpeekBytes(len, copy = true) {
    return copy ? this._rQ.slice(this._rQi, this._rQi + len) : this._rQ.subarray(this._rQi, this._rQi + len);
  }

  rQwait(msg, num, goback) {
    if (this._rQlen - this._rQi < num) {
      if (goback) {
        if (this._rQi < goback) throw new Error(`rQwait cannot backup ${goback} bytes`);
        this._rQi -= goback;
      }
      return true;
    }
    return false;
  }
}

// [SECTION] core/display.js's drawing calls, into an RGBA array

// The calls the decoders make on noVNC's Display, with its argument conventions: colours are
// arrays whose first three entries are red, green, blue (alpha is opaque, as canvas fillRect
// does); blitImage takes RGBA rows `width` pixels long at `offset` in a typed array.
class Display {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.rgba = new Uint8ClampedArray(width * height * 4);
    this.pixels = new Uint32Array(this.rgba.buffer);
    this.jpegRects = 0;
    this.jpegPixels = 0;
  }

  _check(x, y, w, h) {
    if (x < 0 || y < 0 || x + w > this.width || y + h > this.height) {
      throw new Error(`rectangle ${w}x${h}+${x}+${y} outside the ${this.width}x${this.height} framebuffer`);
    }
  }

  // DesktopSize: noVNC keeps the old picture in the top-left corner of the resized canvas.
  resize(width, height) {
    const next = new Display(width, height);
    const cw = Math.min(width, this.width);
    for (let y = 0; y < Math.min(height, this.height); y++) {
      next.rgba.set(this.rgba.subarray(y * this.width * 4, (y * this.width + cw) * 4), y * width * 4);
    }
    Object.assign(this, { width, height, rgba: next.rgba, pixels: next.pixels });
  }

  fillRect(x, y, w, h, color) {
    this._check(x, y, w, h);
    // Little-endian, as every machine this runs on: bytes R, G, B, A.
    const v = (color[0] | (color[1] << 8) | (color[2] << 16) | 0xff000000) >>> 0;
    for (let row = y; row < y + h; row++) this.pixels.fill(v, row * this.width + x, row * this.width + x + w);
  }

  // A canvas drawImage of itself onto itself: overlapping areas are read before they are written.
  copyImage(oldX, oldY, newX, newY, w, h) {
    this._check(oldX, oldY, w, h);
    this._check(newX, newY, w, h);
    const down = newY > oldY;
    for (let k = 0; k < h; k++) {
      const j = down ? h - 1 - k : k;
      const from = (oldY + j) * this.width + oldX;
      this.pixels.copyWithin((newY + j) * this.width + newX, from, from + w);
    }
  }

  blitImage(x, y, w, h, arr, offset) {
    this._check(x, y, w, h);
    const src = new Uint8Array(arr.buffer, arr.byteOffset + offset, w * h * 4);
    for (let j = 0; j < h; j++) {
      this.rgba.set(src.subarray(j * w * 4, (j + 1) * w * 4), ((y + j) * this.width + x) * 4);
    }
  }

  imageRect(x, y, w, h) {
    this.jpegRects++;
    this.jpegPixels += w * h;
  }

  // noVNC copies the damaged area of its back buffer to the visible canvas: nothing to do here.
  flip() {}
}

// [SECTION] core/rfb.js's message loop

// One connection's worth of noVNC state after ServerInit: decoders, receive queue, display and
// the FramebufferUpdate in progress (RFB._FBU).
class Session {
  constructor(capture, depth) {
    this.sock = new ReceiveQueue();
    this.display = new Display(capture.width, capture.height);
    this.depth = depth;
    this.decoders = {};
    for (const [encoding, Decoder] of Object.entries(decoderClasses)) this.decoders[encoding] = new Decoder();
    this.fbu = { rects: 0, x: 0, y: 0, width: 0, height: 0, encoding: null };
    // Decoded (non-pseudo) rectangles by encoding and their pixels, counted once per header.
    this.rects = new Map();
    this.decodedPixels = 0;
  }

  // RFB._handleMessage in the 'connected' state: one call per WebSocket message.
  receive(message) {
    this.sock.push(message);
    if (this.sock.rQwait('message', 1)) return;
    while (this._normalMsg()) {
      if (this.sock.rQwait('message', 1)) break;
    }
  }

  _normalMsg() {
    const msgType = this.fbu.rects > 0 ? 0 : this.sock.rQshift8();
    switch (msgType) {
      case 0: return this._framebufferUpdate();
      case 2: return true;  // Bell
      case 3: return this._serverCutText();
      default: throw new Error(`Unexpected server message (type ${msgType})`);
    }
  }

  // RFB._handleServerCutText for a plain (not extended) clipboard text.
  _serverCutText() {
    if (this.sock.rQwait('ServerCutText header', 7, 1)) return false;
    this.sock.rQskipBytes(3);
    const length = this.sock.rQshift32() | 0;
    if (length < 0) throw new Error('extended clipboard message: not expected without the pseudo-encoding');
    if (this.sock.rQwait('ServerCutText content', length, 8)) return false;
    this.sock.rQskipBytes(length);
    return true;
  }

  // RFB._framebufferUpdate without its render-queue flush: this display never queues.
  _framebufferUpdate() {
    const { sock, fbu } = this;
    if (fbu.rects === 0) {
      if (sock.rQwait('FBU header', 3, 1)) return false;
      sock.rQskipBytes(1);
      fbu.rects = sock.rQshift16();
    }
    while (fbu.rects > 0) {
      if (fbu.encoding === null) {
        if (sock.rQwait('rect header', 12)) return false;
        fbu.x = sock.rQshift16();
        fbu.y = sock.rQshift16();
        fbu.width = sock.rQshift16();
        fbu.height = sock.rQshift16();
        fbu.encoding = sock.rQshift32() >> 0;
        if (this.decoders[fbu.encoding]) {
          this.rects.set(fbu.encoding, (this.rects.get(fbu.encoding) ?? 0) + 1);
          this.decodedPixels += fbu.width * fbu.height;
        }
      }
      if (!this._handleRect()) return false;
      fbu.rects--;
      fbu.encoding = null;
    }
    this.display.flip();
    return true;
  }

  // RFB._handleRect for the pseudo-encodings a capture may hold, then RFB._handleDataRect.
  _handleRect() {
    const { fbu } = this;
    switch (fbu.encoding) {
      case encodings.pseudoEncodingLastRect:
        fbu.rects = 1;
        return true;
      case encodings.pseudoEncodingDesktopSize:
        this.display.resize(fbu.width, fbu.height);
        return true;
      case encodings.pseudoEncodingCursor: {
        // RFB._handleCursor's reads; the cursor image itself is not part of the framebuffer.
        const bytes = fbu.width * fbu.height * 4 + Math.ceil(fbu.width / 8) * fbu.height;
        if (this.sock.rQwait('cursor encoding', bytes)) return false;
        this.sock.rQskipBytes(bytes);
        return true;
      }
    }
    const decoder = this.decoders[fbu.encoding];
    if (!decoder) throw new Error(`Unsupported encoding (encoding: ${fbu.encoding})`);
    return decoder.decodeRect(fbu.x, fbu.y, fbu.width, fbu.height, this.sock, this.display, this.depth);
  }
}

// [SECTION] Decoding

// Decodes a whole capture (from readCapture) the way noVNC would receive it, in WebSocket
// messages of `messageBytes`. Returns the session: display (framebuffer, jpegRects, jpegPixels),
// rects (count by encoding number), decodedPixels, and `complete` (false when the capture ends
// inside a message).
export function decodeWithNovnc(capture, support, messageBytes = kMessageBytes) {
  const session = new Session(capture, support.depth);
  const { bytes } = capture;
  for (let i = 0; i < bytes.length; i += messageBytes) {
    session.receive(bytes.subarray(i, Math.min(i + messageBytes, bytes.length)));
  }
  session.complete = session.sock.rQlen() === 0 && session.fbu.rects === 0;
  return session;
}

// Which colour each canvas channel of a decoded session holds: the pixel format's byte order
// (novncSupport), but red, green, blue where Tight's TPIXELs drew. null when both kinds of
// rectangles drew in different orders, which no single reading of the canvas can check.
export function canvasOrder(session, support) {
  const rgb = ['r', 'g', 'b'];
  const tight = session.rects.has(encodings.encodingTight);
  const others = [...session.rects.keys()].some((e) => e !== encodings.encodingTight && e !== encodings.encodingCopyRect);
  if (!tight) return support.order;
  if (!others || support.order.join('') === rgb.join('')) return rgb;
  return null;
}

// SHA-256 of the framebuffer's RGB bytes, row by row, as `mwcodec rfb-decode` prints it; `order`
// (canvasOrder) says which colour each canvas channel holds.
export function rgbSha256(display, order) {
  const at = { r: order.indexOf('r'), g: order.indexOf('g'), b: order.indexOf('b') };
  const n = display.width * display.height;
  const rgb = new Uint8Array(n * 3);
  const src = display.rgba;
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = src[i * 4 + at.r];
    rgb[i * 3 + 1] = src[i * 4 + at.g];
    rgb[i * 3 + 2] = src[i * 4 + at.b];
  }
  return createHash('sha256').update(rgb).digest('hex');
}

// [SECTION] Check and time

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// noVNC on one capture against `ref` (`mwcodec rfb-decode`'s { sha256, pixels }): first the
// check, with 64 KiB messages and with small odd-sized ones so that every decoder also runs its
// resume-after-missing-data path; then the time of one whole decode in ns (median of 5 samples
// after a warm-up). Returns { unsupported } or { ns, decodedPixels, jpegRects, jpegPixels,
// problems: [...], unchecked? }.
export function checkAndTime(capture, ref) {
  const support = novncSupport(capture);
  if (!support.depth) return { unsupported: support.reason };
  const first = decodeWithNovnc(capture, support);
  const result = { decodedPixels: first.decodedPixels, jpegRects: first.display.jpegRects, jpegPixels: first.display.jpegPixels };
  const problems = [];
  if (!first.complete) problems.push('the capture ends inside a message');
  if (first.decodedPixels !== ref.pixels) problems.push(`${first.decodedPixels} pixels decoded, mwcodec ${ref.pixels}`);
  const order = canvasOrder(first, support);
  if (result.jpegRects > 0) {
    result.unchecked = `${result.jpegRects} JPEG rects (${(result.jpegPixels / 1e6).toFixed(2)} MP) left to the browser`;
  } else if (!order) {
    result.unchecked = 'Tight and other rectangles in different channel orders';
  } else {
    for (const [label, session] of [['64 KiB messages', first], ['1021-byte messages', decodeWithNovnc(capture, support, 1021)]]) {
      const sha = rgbSha256(session.display, order);
      if (sha !== ref.sha256) problems.push(`framebuffer SHA-256 with ${label} ${sha}, mwcodec ${ref.sha256}`);
    }
  }
  result.problems = problems;
  // A capture decodes in milliseconds: each sample repeats it for 0.2 s at least, so that timer
  // resolution and a single garbage collection do not decide the figure.
  const sample = () => {
    const t0 = performance.now();
    let runs = 0, t;
    do {
      decodeWithNovnc(capture, support);
      runs++;
      t = performance.now() - t0;
    } while (t < 200);
    return (t * 1e6) / runs;
  };
  sample();  // warm-up (JIT)
  result.ns = median(Array.from({ length: 5 }, sample));
  return result;
}

// As a worker thread (rfb.bench.mjs): checkAndTime on workerData { capture: file, ref }.
if (!isMainThread && workerData?.capture) parentPort.postMessage(checkAndTime(readCapture(workerData.capture), workerData.ref));
