// Module settings read by the emscripten loader (app.js); kept in a file so the page's
// Content-Security-Policy needs no inline script.
var Module = {
  canvas: document.getElementById('canvas'),
  print: function (text) { console.log(text); },
  printErr: function (text) { console.error(text); },
};
// The fonts start downloading now, alongside app.js and app.wasm (the app takes them when it starts).
Module.mwFonts = ['fonts/DejaVuSans.ttf', 'fonts/DejaVuSansMono.ttf'].map(
  (u) => fetch(u).then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null));
window.meshwork = { frames: 0, idle: false, connected: false, serverName: null, version: null };
