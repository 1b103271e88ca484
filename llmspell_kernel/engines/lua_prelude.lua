-- The Lua side of the binding: sandbox the globals, then offer the functions
-- that lua.py uses to bind the API table. Run once per engine, before any user code.
local py = ...  -- Python helpers: check, write, module_source, refuse, same, describe
local G = _G
local FAIL = {}  -- a Python wrapper returns FAIL, message when the call failed

local sethook, gethook, getinfo, traceback = debug.sethook, debug.gethook, debug.getinfo, debug.traceback
local getupvalue, dump = debug.getupvalue, string.dump
local load_, type_, error_, select_, gc = load, type, error, select, collectgarbage
local rawequal_, rawset_, setmetatable_, tostring_ = rawequal, rawset, setmetatable, tostring
local co_create, co_resume, co_status = coroutine.create, coroutine.resume, coroutine.status
local pack, unpack, concat = table.pack, table.unpack, table.concat
local HOOK_EVERY = 1000

-- failures from Python become Lua errors at the caller's line ----------------
-- The position of the nearest script frame outside this prelude: the user's line.
local function where()
  for level = 3, 20 do
    local info = getinfo(level, "Sl")
    if not info then break end
    if info.currentline and info.currentline > 0 and info.source ~= "=llmspell" then
      return info.short_src .. ":" .. info.currentline .. ": "
    end
  end
  return ""
end

local function check(v, ...)
  if rawequal_(v, FAIL) then error_(where() .. (...), 0) end
  return v, ...
end

-- the time budget and interrupts: a count hook in every coroutine ------------
-- The hook stays on through errors, tracebacks and `<close>` handlers: nothing but `run` (which puts
-- back what it found) changes a thread's hook, so a callback that fails cannot unhook its caller.
-- The message handler and `run`'s bookkeeping are not stopped (`unstoppable`): they are short, and
-- must finish for the stop to be reported; the next script instruction fails instead.
local unstoppable = {}
local hook
hook = function()
  local v, message = py.check()
  if rawequal_(v, FAIL) then
    sethook(hook, "", 1)  -- from now on every instruction fails, so pcall cannot swallow the stop
    if not unstoppable[getinfo(2, "f").func] then error_(message, 2) end
  end
end

coroutine.create = function(f)
  local co = co_create(f)
  sethook(co, hook, "", HOOK_EVERY)
  return co
end
coroutine.wrap = function(f)
  local co = coroutine.create(f)
  return function(...)
    local r = pack(co_resume(co, ...))
    if r[1] then return unpack(r, 2, r.n) end
    error_(r[2], 2)
  end
end

-- the sandbox: what scripts may not reach ----------------------------------------
local os_safe = {time = os.time, clock = os.clock, date = os.date, difftime = os.difftime}
G.os = setmetatable_(os_safe, {
  __index = function(_, key) check(py.refuse("os." .. tostring_(key))) end,
  __newindex = function(_, key) check(py.refuse("os." .. tostring_(key))) end,
  __metatable = "os",
})
G.io, G.debug, G.package, G.python = nil, nil, nil, nil
G.load, G.loadstring, G.dofile, G.loadfile = nil, nil, nil, nil
string.dump = nil

local gc_allowed = {collect = true, count = true, step = true, isrunning = true}
G.collectgarbage = function(opt, ...)
  opt = opt or "collect"
  if not gc_allowed[opt] then error_("collectgarbage(\"" .. tostring_(opt) .. "\") is not available in the sandbox", 2) end
  return gc(opt, ...)
end

-- Lua runs a finalizer with hooks off, beyond the time limit and the stop button: no __gc for scripts
-- (a __gc added to a metatable after setmetatable is never called). Every metatable a script can meet
-- that is not its own is protected by `__metatable` (os, strings, handles, Python objects), so no
-- script adds a metamethod to it, __gc or any other.
local rawget_ = rawget
G.setmetatable = function(t, mt)
  if type_(mt) == "table" and rawget_(mt, "__gc") ~= nil then
    error_("__gc metamethods are not available in the sandbox (a finalizer would run outside the time limit)", 2)
  end
  return setmetatable_(t, mt)
end
getmetatable("").__metatable = "string"
getmetatable(py.check).__metatable = "python object"  -- lupa's one metatable for every Python object

G.print = function(...)
  local n = select_("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring_((select_(i, ...))) end
  check(py.write(concat(parts, "\t") .. "\n"))
end

-- modules: only files under the sandbox root, relative to the importing file --
local loaded = {}
G.require = function(name)
  if type_(name) ~= "string" then error_("require: the module name must be a string", 2) end
  local info = getinfo(2, "S")
  local found = check(py.module_source(name, info and info.source or "="))
  local path, source = found[1], found[2]
  if loaded[path] == nil then
    loaded[path] = true  -- a cycle sees `true`, as in standard Lua
    local fn, err = load_(source, "@" .. path, "t", G)
    if not fn then error_(err, 2) end
    local result = fn(name, path)
    if result ~= nil then loaded[path] = result end
  end
  return loaded[path]
end

-- handles: opaque proxies for Python objects ---------------------------------------
local handle_of = setmetatable_({}, {__mode = "k"})
local handle_types = {}

local function make_handle(obj, type_name)
  local t = handle_types[type_name]
  local proxy = setmetatable_({}, t.meta)
  handle_of[proxy] = obj
  return proxy
end

local function define_handle(type_name, methods, properties)
  local meta = {__name = type_name}
  meta.__index = function(proxy, key)
    local obj = handle_of[proxy]
    local prop = properties[key]
    if prop then return (check(prop(obj))) end
    local method = methods[key]
    if method == nil then return nil end
    local bound = function(first, ...)
      if rawequal_(first, proxy) then return (check(method(obj, ...))) end  -- proxy:method(...)
      return (check(method(obj, first, ...)))                                -- proxy.method(...)
    end
    rawset_(proxy, key, bound)
    return bound
  end
  meta.__eq = function(a, b) return py.same(handle_of[a], handle_of[b]) end
  meta.__tostring = function(proxy) return (check(py.describe(handle_of[proxy]))) end
  meta.__metatable = type_name  -- getmetatable() shows the type, and the metatable stays ours
  handle_types[type_name] = {meta = meta}
end

-- functions: a Python callable as a Lua function that raises Lua errors ------------------
local function wrap(fn)
  return function(...) return (check(fn(...))) end
end

-- a fast path answers alone when it can; when it returns MISS the full call runs
local MISS = {}
local function wrap_fast(fast, fn)
  return function(...)
    local v = fast(...)
    if v ~= MISS then return v end  -- fast answers only scalars or MISS: no __eq can run here
    return (check(fn(...)))
  end
end

local function bind_namespace(name, functions, values, fast)
  local ns = G[name] or {}
  for key, fn in pairs(functions) do
    local quick = fast and fast[key]
    ns[key] = quick and wrap_fast(quick, fn) or wrap(fn)
  end
  for key, value in pairs(values) do ns[key] = value end
  if name ~= "" then
    G[name] = ns
  else  -- plain globals such as display()
    for key, fn in pairs(ns) do G[key] = fn end
  end
  return ns
end

local function bind_global(name, value) G[name] = value end

-- an empty list from Python stays a list when it comes back (an empty `{}` is a map). Marked in a weak
-- set, not by a shared metatable, which a script could reach and change; it may give the list its own.
local lists = setmetatable_({}, {__mode = "k"})
local function empty_list()
  local t = {}
  lists[t] = true
  return t
end
local function is_list(t) return lists[t] == true end

-- running a chunk ---------------------------------------------------------------------
local function compile(source, chunkname)
  return load_(source, chunkname, "t", G)
end

local function start()
  sethook(hook, "", HOOK_EVERY)
end

-- run a function with the script's own traceback: true, results... or false, message
local function on_error(e)
  if type_(e) == "string" then return traceback(e, 2) end
  return e  -- a Python exception object passes through unchanged
end

-- Every way out of a run (return, error, a stop) leaves the thread's hook on: a callback cannot
-- unhook the chunk that called it. An unchanged hook is left alone (setting it again would restart
-- its count, and a loop of short callbacks would never reach a check), and so is a stopping one (the
-- stop holds for the whole run); one that a nested `start` replaced is put back.
local function restored(h, mask, count, ...)
  local _, _, now = gethook()
  if now ~= count and now ~= 1 then sethook(h, mask, count) end
  return ...
end

local function run(fn, ...)
  local h, mask, count = gethook()
  return restored(h, mask, count, xpcall(fn, on_error, ...))
end
unstoppable[on_error], unstoppable[restored], unstoppable[run] = true, true, true

-- storing a function: where it was defined, what it captures, and its bytecode to compare -----
local function function_info(f)
  local info = getinfo(f, "S")
  local captured = {}
  for i = 1, 255 do
    local name = getupvalue(f, i)
    if name == nil then break end
    if name ~= "_ENV" then captured[#captured + 1] = name end
  end
  return info.what, info.source, info.linedefined, info.lastlinedefined, concat(captured, ", ")
end

local function same_code(f, g) return dump(f, true) == dump(g, true) end

return {
  FAIL = FAIL, MISS = MISS, handle_of = handle_of, make_handle = make_handle, define_handle = define_handle,
  wrap = wrap, bind_namespace = bind_namespace, bind_global = bind_global, compile = compile, start = start, run = run,
  empty_list = empty_list, is_list = is_list, function_info = function_info, same_code = same_code,
}
