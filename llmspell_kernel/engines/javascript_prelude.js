// The JavaScript side of the binding, run once per engine before any user code.
// Only numbers and JSON text cross to Python (javascript_bridge.py): a handle, a function, a
// promise or bytes travel inside the JSON as a one-key object whose key starts with "\u0000".
// Functions named __ls* are ours: javascript.py drops their frames from a user's stack.
(function () {
  "use strict";
  const G = globalThis;
  // The originals: a script may replace any built-in, never the engine's own plumbing. What runs for every
  // cell and call uses only these, and no iteration protocol (spread, for-of), so a script that replaces
  // Promise.prototype.then or Array.prototype's iterator breaks its own code, not the engine's next cell.
  const jsonParse = JSON.parse, jsonStringify = JSON.stringify;
  const objectKeys = Object.keys, isArray = Array.isArray, defineProperty = Object.defineProperty;
  const objectCreate = Object.create, fnToString = Function.prototype.toString, stringSlice = String.prototype.slice;
  const apply = Reflect.apply, PromiseCtor = Promise, promiseThen = Promise.prototype.then;
  const resolved = apply(Function.prototype.bind, Promise.resolve, [PromiseCtor]);  // bound: no array per call
  const rejected = apply(Function.prototype.bind, Promise.reject, [PromiseCtor]);
  const then = (p, ok, fail) => apply(promiseThen, p, [ok, fail]);
  function withThis(self, args) {
    const out = [self];
    for (let i = 0; i < args.length; i++) out[i + 1] = args[i];
    return out;
  }
  const host = {
    call: G.__ls_host_call, fast: G.__ls_host_fast, start: G.__ls_host_start, invoke: G.__ls_host_invoke,
    write: G.__ls_host_write, timer: G.__ls_host_timer, settled: G.__ls_host_settled, module: G.__ls_host_module,
  };
  for (const name of Object.keys(G)) if (name.startsWith("__ls_host_")) delete G[name];

  const M = "\u0000";
  const HID = Symbol("llmspell.handle");
  const FUNCS = new Map(), FUNC_IDS = new WeakMap();
  const PENDING = new Map(), HANDLES = new Map(), PROTOS = {}, TIMERS = new Map(), CELLS = new Map();
  let nextFn = 1, nextSlot = 1, nextPromise = 1, FUTURE = {};

  // JS values to JSON for Python ------------------------------------------------------
  function fnId(f) {
    let id = FUNC_IDS.get(f);
    if (id === undefined) { id = nextFn++; FUNC_IDS.set(f, id); }
    FUNCS.set(id, f);
    return id;
  }
  function promiseId(p) {
    const id = nextPromise++;
    then(p, v => host.settled(id, encode({ok: 1, v})), e => host.settled(id, encode({ok: 0, e: errorInfo(e)})));
    return id;
  }
  function replacer(key, value) {
    const raw = this[key];
    switch (typeof raw) {
      case "function": return {[M + "j"]: fnId(raw)};
      case "number": return isFinite(raw) ? value : {[M + "n"]: String(raw)};
      case "bigint": return {[M + "i"]: raw.toString()};
      case "object":
        if (raw === null) return null;
        if (raw[HID] !== undefined) {
          // a future handed to Python (Async.await, Async.all) is awaited there: its failure is not unhandled
          if (raw instanceof PromiseCtor) then(raw, undefined, () => {});
          return {[M + "h"]: raw[HID]};
        }
        if (raw instanceof PromiseCtor) return {[M + "p"]: promiseId(raw)};
        if (ArrayBuffer.isView(raw)) return {[M + "b"]: Array.from(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength))};
        if (raw instanceof ArrayBuffer) return {[M + "b"]: Array.from(new Uint8Array(raw))};
    }
    return value;
  }
  function encode(v) { return jsonStringify(v, replacer); }

  // JSON from Python to JS values -----------------------------------------------------
  function reviver(key, v) {
    if (v === null || typeof v !== "object" || isArray(v)) return v;
    const keys = objectKeys(v);
    if (keys.length !== 1 || keys[0][0] !== M) return v;
    const x = v[keys[0]];
    switch (keys[0]) {
      case M + "h": return handle(x[0], x[1]);
      case M + "F": return future(x[0], x[1]);
      case M + "f": return hostFunction(x);
      case M + "j": return FUNCS.get(x);
      case M + "b": return Uint8Array.from(x);
    }
    return v;
  }
  function decode(text) { return text.indexOf("\\u0000") >= 0 ? jsonParse(text, reviver) : jsonParse(text); }

  function handle(hid, type) {
    let h = HANDLES.get(hid);
    if (h === undefined) {
      h = objectCreate(PROTOS[type]);
      defineProperty(h, HID, {value: hid});
      HANDLES.set(hid, h);
    }
    return h;
  }
  // a Python future is a Promise that also has the Future handle's methods
  function future(rid, hid) {
    let p = HANDLES.get(hid);
    if (p === undefined) {
      p = pending(rid, null);
      defineProperty(p, HID, {value: hid});
      const names = objectKeys(FUTURE);
      for (let i = 0; i < names.length; i++) defineProperty(p, names[i], {value: FUTURE[names[i]]});
      HANDLES.set(hid, p);
    }
    return p;
  }
  function hostFunction(id) {
    return function __ls_host_function(...args) { return unwrap(decode(host.invoke(id, encode(args)))); };
  }

  // errors ------------------------------------------------------------------------------
  function errorInfo(e) {
    if (e instanceof Error) {
      return {name: e.name, message: e.message, stack: e.stack || "", eid: e.llmspell_eid};
    }
    return {name: "Uncaught", message: inspect(e, true), stack: ""};
  }
  // an API failure as a JS Error; `site` is an Error made where the call was made
  function apiError(info, site) {
    const err = site || new Error();
    err.message = info.message;
    err.name = info.name;
    err.llmspell_eid = info.eid;
    return err;
  }
  function unwrap(env, site) {
    if (env.ok) return env.v;
    throw apiError(env.e, site);
  }

  // API calls ---------------------------------------------------------------------------
  function pending(rid, site) {
    return new PromiseCtor((resolve, reject) => { PENDING.set(rid, [resolve, reject, site]); });
  }
  function settle(rid, text) {
    const p = PENDING.get(rid);
    if (p === undefined) return;
    PENDING.delete(rid);
    const env = decode(text);
    if (env.ok) p[0](env.v); else p[1](apiError(env.e, p[2]));
  }
  function apiFunction(idx, blocking, method) {
    if (blocking) {
      return function __ls_api_async(...args) {
        const site = new Error();
        const rid = host.start(idx, encode(method ? withThis(this, args) : args));
        if (typeof rid === "string") return rejected(apiError(decode(rid).e, site));
        return pending(rid, site);
      };
    }
    return function __ls_api(...args) {
      try {
        return resolved(unwrap(decode(host.call(idx, encode(method ? withThis(this, args) : args)))));
      } catch (e) {
        return rejected(e);
      }
    };
  }
  // a hot read (State.get of a scalar) with scalar arguments is answered without JSON (_host_fast)
  function fastFunction(idx, full) {
    return function __ls_api_fast(...args) {
      const n = args.length, a = args[0], b = args[1];
      if (n > 2 || !scalar(a) || (n === 2 && !scalar(b))) return apply(full, undefined, args);
      const r = n === 1 ? host.fast(idx, a) : host.fast(idx, a, b);
      if (typeof r !== "string") return resolved(r);
      if (r[0] === "s") return resolved(apply(stringSlice, r, [1]));  // "s": a string
      return r === "n" ? resolved(null) : apply(full, undefined, args);  // "m": the full call answers
    };
  }
  function scalar(v) {
    const t = typeof v;
    return t === "string" || t === "number" || t === "boolean" || v === null;
  }
  function constructor(idx) {
    return function __ls_new(...args) { return unwrap(decode(host.call(idx, encode(args)))); };
  }

  function bind(text) {
    const d = jsonParse(text);
    for (const type of Object.keys(d.handles)) {
      const spec = d.handles[type], proto = {};
      for (const name of Object.keys(spec.methods)) {
        const [idx, blocking] = spec.methods[name];
        Object.defineProperty(proto, name, {value: apiFunction(idx, blocking, true), writable: true, configurable: true});
      }
      for (const name of Object.keys(spec.props)) {
        const idx = spec.props[name];
        Object.defineProperty(proto, name, {
          get() { return unwrap(decode(host.call(idx, encode([this])))); }, configurable: true});
      }
      Object.defineProperty(proto, Symbol.toStringTag, {value: type});
      PROTOS[type] = proto;
    }
    const fut = PROTOS[d.future];
    for (const name of Object.getOwnPropertyNames(fut)) FUTURE[name] = fut[name];
    for (const ns of Object.keys(d.namespaces)) {
      const ctor = d.constructors[ns];
      const target = ns === "" ? G : (ctor === undefined ? {} : constructor(ctor));
      const fns = d.namespaces[ns];
      for (const name of Object.keys(fns)) {
        const [idx, blocking, fast] = fns[name], full = apiFunction(idx, blocking, false);
        target[name] = fast ? fastFunction(idx, full) : full;
      }
      if (ns !== "") G[ns] = target;
    }
  }
  function setValues(text) {
    const values = decode(text);
    const names = objectKeys(values);
    for (let i = 0; i < names.length; i++) {
      const ns = values[names[i]], keys = objectKeys(ns);
      for (let j = 0; j < keys.length; j++) G[names[i]][keys[j]] = ns[keys[j]];
    }
  }

  // console, timers and small polyfills ----------------------------------------------
  function inspect(v, nested) {
    if (typeof v === "string") return nested ? jsonStringify(v) : v;
    if (v === undefined) return "undefined";
    if (typeof v === "function") return "[Function " + (v.name || "anonymous") + "]";
    if (typeof v === "symbol" || typeof v === "bigint") return String(v);
    if (v instanceof Error) return v.name + ": " + v.message;
    if (v !== null && typeof v === "object" && v[HID] !== undefined) return "[" + v[Symbol.toStringTag] + "]";
    try {
      return jsonStringify(v, function (k, x) {
        const raw = this[k];
        if (typeof raw === "function") return "[Function " + (raw.name || "anonymous") + "]";
        if (raw !== null && typeof raw === "object" && raw[HID] !== undefined) return "[" + raw[Symbol.toStringTag] + "]";
        if (raw === undefined) return "undefined";
        return x;
      });
    } catch (e) {
      return String(v);
    }
  }
  const print = stream => (...args) => {
    let line = "";
    for (let i = 0; i < args.length; i++) line += (i ? " " : "") + inspect(args[i], false);
    host.write(stream, line + "\n");
  };
  G.console = {log: print(1), info: print(1), debug: print(1), error: print(2), warn: print(2)};

  function addTimer(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("the callback must be a function");
    ms = Math.max(Number(ms) || 0, repeat ? 1 : 0);
    const id = host.timer(ms, 0);
    TIMERS.set(id, {fn, args, ms, repeat});
    return id;
  }
  G.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
  G.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
  G.clearTimeout = G.clearInterval = id => { TIMERS.delete(id); };
  G.queueMicrotask = fn => { then(resolved(undefined), fn); };
  function fire(id) {
    const t = TIMERS.get(id);
    if (t === undefined) return "";
    if (t.repeat) host.timer(t.ms, id); else TIMERS.delete(id);
    try {
      apply(t.fn, undefined, t.args);
    } catch (e) {
      return encode(errorInfo(e));
    }
    return "";
  }
  if (!Array.prototype.at) {
    const at = function (i) { i = Math.trunc(i) || 0; if (i < 0) i += this.length; return this[i]; };
    for (const C of [Array, String]) Object.defineProperty(C.prototype, "at", {value: at, writable: true, configurable: true});
  }
  if (!Object.hasOwn) Object.hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

  // cells and calls from Python: an async body runs in a slot that Python polls --------
  function __ls_cell(fn) {
    const slot = nextSlot++, rec = {state: 0, value: undefined};
    CELLS.set(slot, rec);
    let p;
    try {
      p = fn();
    } catch (e) {
      rec.state = 2; rec.value = e;
      return slot;
    }
    if (p !== null && (typeof p === "object" || typeof p === "function") && typeof p.then === "function") {
      then(resolved(p), v => { rec.state = 1; rec.value = v; }, e => { rec.state = 2; rec.value = e; });
    } else {
      rec.state = 1; rec.value = p;
    }
    return slot;
  }
  Object.defineProperty(G, "__ls_cell", {value: __ls_cell});

  // user modules (javascript_modules.py): Python resolves and compiles, JS runs each module once
  const MODULES = new Map();
  let DEFINED = null, requireBase = null;
  Object.defineProperty(G, "__ls_define", {value: fn => { DEFINED = fn; }});
  Object.defineProperty(G, "__ls_namespace", {
    value: m => (m !== null && (typeof m === "object" || typeof m === "function") && m.__esModule)
      ? m : Object.assign({default: m}, m)});
  function makeRequire(base) {
    return function require(spec) {
      if (typeof spec !== "string") throw new TypeError("require: the module name must be a string");
      const [path, dir] = unwrap(decode(host.module(0, spec, base)));
      let mod = MODULES.get(path);
      if (mod === undefined) {
        unwrap(decode(host.module(1, path, "")));
        const fn = DEFINED;
        DEFINED = null;
        mod = {exports: {}, id: path};
        MODULES.set(path, mod);  // a cycle sees the exports so far, as in Node
        try {
          fn.call(mod.exports, mod.exports, makeRequire(dir), mod, path, dir);
        } catch (e) {
          MODULES.delete(path);
          throw e;
        }
      }
      return mod.exports;
    };
  }
  const ops = {
    bind, setValues, settle, fire,
    state: slot => CELLS.get(slot).state,
    outcome(slot) {
      const rec = CELLS.get(slot);
      CELLS.delete(slot);
      try {
        return rec.state === 1 ? encode({ok: 1, v: rec.value}) : encode({ok: 0, e: errorInfo(rec.value)});
      } catch (e) {  // a cycle, most likely
        return encode({ok: 0, e: {name: "ConversionError", message: "the value cannot cross to Python: " + e.message}});
      }
    },
    drop: slot => { CELLS.delete(slot); },
    callFn: (fid, text) => __ls_cell(() => apply(FUNCS.get(fid), undefined, decode(text))),
    fnSource: fid => apply(fnToString, FUNCS.get(fid), []),
    release: text => {
      const ids = jsonParse(text);
      for (let i = 0; i < ids.length; i++) FUNCS.delete(ids[i]);
    },
    forget: () => { PENDING.clear(); TIMERS.clear(); },
    setGlobal: (name, text) => { G[name] = decode(text); },
    setBase: base => { if (base !== requireBase) { requireBase = base; G.require = makeRequire(base); } },
    globals: () => jsonStringify(Object.getOwnPropertyNames(G)),
    getGlobal: name => (name in G ? encode({v: G[name]}) : ""),
  };
  for (const name of Object.keys(ops)) Object.defineProperty(G, "__ls_op_" + name, {value: ops[name], configurable: true});
})();
