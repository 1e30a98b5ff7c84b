// Module settings read by the emscripten loader (app.js); kept in a file so the page's
// Content-Security-Policy needs no inline script.
var Module = {
  canvas: document.getElementById('canvas'),
  print: function (text) { console.log(text); },
  printErr: function (text) { console.error(text); },
};
window.meshwork = { frames: 0, idle: false, connected: false, serverName: null, version: null };
