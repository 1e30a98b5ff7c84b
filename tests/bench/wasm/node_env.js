// --pre-js of the wasm benchmarks: Emscripten's getenv() sees only its own ENV table, not Node's
// process.env; copy the environment in so MW_* settings reach the program as they do natively.
Module.preRun = (Module.preRun || []).concat([() => Object.assign(ENV, process.env)]);
