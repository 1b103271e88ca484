// Generated from the llmspell API table by `python -m llmspell_kernel.api.typescript`. Do not edit.
// Every API call returns a Promise: `await` it (top-level await works in a cell).
// Use with `"lib": ["es2020"]`: spells run in QuickJS, not in a browser.

declare const console: {
  log(...data: any[]): void;
  info(...data: any[]): void;
  debug(...data: any[]): void;
  /** To stderr. */
  error(...data: any[]): void;
  /** To stderr. */
  warn(...data: any[]): void;
};
declare function setTimeout(fn: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function setInterval(fn: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
declare function queueMicrotask(fn: () => void): void;

/** A Python future seen from JavaScript: a Promise that also has the Future methods. */
interface Future<T = any> extends Promise<T> {
  /** Wait for the value (or raise the error). */
  await(): Promise<T>;
  /** Whether the value is ready. */
  done(): Promise<boolean>;
}

/** An agent handle: run it, stream it, chat with it. */
interface AgentHandle {
  /** Run the agent on `input` and return its answer. */
  run(input: any, opts?: { model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; max_iterations?: number; timeout?: number; } | null): Promise<any>;
  /** Run the agent, calling `on_chunk(text)` for each chunk (else printing it). Returns the full text. */
  stream(input: any, on_chunk?: (...args: any[]) => any): Promise<string>;
  /** Start a run and return a future (a Promise in JavaScript) of its answer. */
  run_async(input: any): Promise<Future<any>>;
  /** Start a run and return a future (a Promise in JavaScript) of its answer. */
  runAsync(input: any): Promise<Future<any>>;
  /** Send a message and keep the exchange in the agent's conversation. */
  chat(message: any): Promise<any>;
  /** The conversation kept by `chat`: `[{role, content}]`. */
  history(): Promise<(Record<string, any>)[]>;
  /** Clear the conversation. */
  reset(): Promise<boolean>;
  /** Name, model, system prompt, tools and usage totals (tokens, cost, calls). */
  info(): Promise<Record<string, any>>;
  /** The agent's name. */
  readonly name: string;
  /** The model the agent calls. */
  readonly model: string;
}

/** A tool handle, as `Tool.register` returns it. */
interface ToolHandle {
  /** Run this tool with `args`, validated against its schema. */
  call(args?: Record<string, any> | null): Promise<any>;
  /** The tool's name. */
  readonly name: string;
}

/** A workflow handle: run it now or in the background. */
interface WorkflowHandle {
  /** Run the workflow on `input`. Returns `{status, output, error?, steps}`; a failing step does not raise. */
  run(input?: any, options?: Record<string, any> | null): Promise<Record<string, any>>;
  /** Start a run (with the options of `run`) and return a future of its result. */
  run_async(input?: any, options?: Record<string, any> | null): Promise<Future<any>>;
  /** Start a run (with the options of `run`) and return a future of its result. */
  runAsync(input?: any, options?: Record<string, any> | null): Promise<Future<any>>;
  /** The workflow's name, kind and step names. */
  info(): Promise<Record<string, any>>;
  /** The workflow's name. */
  readonly name: string;
  /** "sequential", "parallel", "conditional" or "loop". */
  readonly kind: string;
}

/** A view of the shared store, isolated under a scope name (`State.scope("agent:writer")`). */
interface StateScope {
  /** The value at `key` (a dotted key reaches into nested maps), or `default`. */
  get(key: string, default_?: any): Promise<any>;
  /** Set `key` to `value`. Returns the new version number. */
  set(key: string, value: any): Promise<number>;
  /** Atomic read-modify-write: `fn(old)` returns the new value. Returns the new version. */
  update(key: string, fn: (...args: any[]) => any): Promise<number>;
  /** Remove `key`. Returns the new version number. */
  delete(key: string): Promise<number>;
  /** The top-level keys, sorted. */
  keys(): Promise<string[]>;
  /** The current version number (0 before any change). */
  version(): Promise<number>;
  /** Changes, oldest first: `[{version, key, op, old, new, author, time}]`, for one key if given. */
  history(key?: string | null): Promise<(Record<string, any>)[]>;
  /** An immutable State value: the store as it was at `version`. */
  at(version: number): Promise<StateValue>;
  /** `{added, removed, changed}` between two versions: each a sorted list of dotted leaf paths */
  diff(v1: number, v2: number): Promise<Record<string, string[]>>;
  /** Restore the store as it was at `version`. The restore is itself a new version. */
  rollback(version: number): Promise<number>;
  /** The whole (scoped) store as a map. */
  to_map(): Promise<Record<string, any>>;
  /** The whole (scoped) store as a map. */
  toMap(): Promise<Record<string, any>>;
}

/** An immutable State value with lineage (`State.new`, `State.at`, `agent.run(state)`). */
interface StateValue {
  /** The value at `key` (dotted keys reach into maps), or `default`. */
  get(key: string, default_?: any): Promise<any>;
  /** A new State with `key` set; this one is unchanged. */
  set(key: string, item: any): Promise<StateValue>;
  /** A new State with every key of `values` set. */
  merge(values: Record<string, any>): Promise<StateValue>;
  /** A new State without `key`. */
  delete(key: string): Promise<StateValue>;
  /** The top-level keys, sorted. */
  keys(): Promise<string[]>;
  /** The State as a plain map. */
  to_map(): Promise<Record<string, any>>;
  /** The State as a plain map. */
  toMap(): Promise<Record<string, any>>;
  /** How many changes made this value from its origin (or the store version for `State.at`). */
  version(): Promise<number>;
  /** The State this one was derived from, or nil. */
  parent(): Promise<StateValue | null>;
}

/** A live widget of the session: `display(w)` shows it in a notebook; elsewhere it prints a summary. */
interface Widget {
  /** What the widget shows now: for a timeline its filter and row, span, error and token counts; */
  summary(): Promise<Record<string, any>>;
  /** Stop following the session: the pending changes are drawn, then the view keeps what it shows. */
  stop(): Promise<boolean>;
  /** Stop following the session and close the widget's views. Returns true. */
  close(): Promise<boolean>;
}

/** Create and find agents: a model, a system prompt, tools and a conversation. */
declare const Agent: {
  /** Create an agent and register it in the session. */
  create(opts?: { name?: string; model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; max_iterations?: number; timeout?: number; system_prompt?: string; tools?: any[]; responses?: any[]; api_base?: string; api_key?: string; budget?: { tokens?: number; cost?: number }; approve?: string[] | boolean; } | null): Promise<AgentHandle>;
  /** Create an agent and register it in the session. */
  "new"(opts?: { name?: string; model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; max_iterations?: number; timeout?: number; system_prompt?: string; tools?: any[]; responses?: any[]; api_base?: string; api_key?: string; budget?: { tokens?: number; cost?: number }; approve?: string[] | boolean; } | null): Promise<AgentHandle>;
  /** The agent registered under `name`. */
  get(name: string): Promise<AgentHandle>;
  /** The names of the session's agents, sorted. */
  list(): Promise<string[]>;
  /** Remove an agent from the session. Returns whether it existed. */
  remove(name: string): Promise<boolean>;
  /** The same as `Agent.create`, but the handle comes at once. */
  new (opts?: { name?: string; model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; max_iterations?: number; timeout?: number; system_prompt?: string; tools?: any[]; responses?: any[]; api_base?: string; api_key?: string; budget?: { tokens?: number; cost?: number }; approve?: string[] | boolean; } | null): AgentHandle;
};

/** Tools: named functions with a JSON schema for their arguments, callable by agents. */
declare const Tool: {
  /** Register a tool: `name`, `description`, `params` (a JSON schema object), `fn(args)`. Returns a handle. */
  register(definition: Record<string, any>): Promise<ToolHandle>;
  /** Validate `args` against the tool's schema, then run it. A bad argument names the field. */
  call(name: string, args?: Record<string, any> | null): Promise<any>;
  /** The names of every tool, built-in and registered, sorted. */
  list(): Promise<string[]>;
  /** A tool's name, description, params schema, and whether agents' calls need approval. */
  info(name: string): Promise<Record<string, any>>;
};

/** The session's shared, versioned store: every change is a new version, with history. */
declare const State: {
  /** The value at `key` (a dotted key reaches into nested maps), or `default`. */
  get(key: string, default_?: any): Promise<any>;
  /** Set `key` to `value`. Returns the new version number. */
  set(key: string, value: any): Promise<number>;
  /** Atomic read-modify-write: `fn(old)` returns the new value. Returns the new version. */
  update(key: string, fn: (...args: any[]) => any): Promise<number>;
  /** Remove `key`. Returns the new version number. */
  delete(key: string): Promise<number>;
  /** The top-level keys, sorted. */
  keys(): Promise<string[]>;
  /** The current version number (0 before any change). */
  version(): Promise<number>;
  /** Changes, oldest first: `[{version, key, op, old, new, author, time}]`, for one key if given. */
  history(key?: string | null): Promise<(Record<string, any>)[]>;
  /** An immutable State value: the store as it was at `version`. */
  at(version: number): Promise<StateValue>;
  /** `{added, removed, changed}` between two versions: each a sorted list of dotted leaf paths */
  diff(v1: number, v2: number): Promise<Record<string, string[]>>;
  /** Restore the store as it was at `version`. The restore is itself a new version. */
  rollback(version: number): Promise<number>;
  /** The whole (scoped) store as a map. */
  to_map(): Promise<Record<string, any>>;
  /** The whole (scoped) store as a map. */
  toMap(): Promise<Record<string, any>>;
  /** A view with the same methods, isolated under `name` (for example `"agent:writer"`). */
  scope(name: string): Promise<StateScope>;
  /** A live widget of the store's versions, with diffs and rollback: `display` it in a notebook. */
  timeline(key?: string | null): Promise<any>;
  /** An immutable State value made from a map. Its `set`, `merge` and `delete` return new values. */
  "new"(values?: any): Promise<StateValue>;
  /** Attach a JSON schema to a top-level key; writes that do not match it are refused. */
  schema(key: string, json_schema: Record<string, any>): Promise<boolean>;
  /** The same as `State.new`, but the handle comes at once. */
  new (values?: any): StateValue;
};

/** Files and blobs that agents and spells produce, versioned by name, with metadata. */
declare const Artifact: {
  /** Store text or bytes under `name`, with a map of metadata. Returns the new version number. */
  store(name: string, content: string | Uint8Array, meta?: Record<string, any> | null): Promise<number>;
  /** The content of an artifact: its latest version, or the one asked for. */
  get(name: string, version?: number | null): Promise<string | Uint8Array>;
  /** The latest version of each artifact: `[{name, version, size, meta, author, time}]`, by name. */
  list(filter?: any): Promise<(Record<string, any>)[]>;
  /** Delete an artifact with all its versions. Returns whether it existed. */
  delete(name: string): Promise<boolean>;
};

/** The session's events: every agent run, model call, tool call, step and state change. */
declare const Event: {
  /** Emit a user event. Returns its id. */
  emit(type: string, data?: any): Promise<string>;
  /** Call `fn(event)` for each event whose type matches the glob `pattern` (`"tool.*"`). */
  on(pattern: string, fn: (...args: any[]) => any): Promise<string>;
  /** Remove a subscription. Returns whether it existed. */
  off(id: string): Promise<boolean>;
  /** A live widget of the events as a tree of spans with a waterfall: `display` it in a notebook. */
  timeline(filter?: any): Promise<any>;
  /** Recorded events, oldest first. `filter`: `type` (glob), `source`, `since` (an event id), `limit`. */
  list(filter?: any): Promise<(Record<string, any>)[]>;
};

/** Build workflows. A step is an agent (handle or name), `{tool = name, args?}`, a function or a workflow. */
declare const Workflow: {
  /** Run `steps` in order; each step's output is the next step's input. Options: `name`, `steps`. */
  sequential(definition: Record<string, any>): Promise<WorkflowHandle>;
  /** Run `steps` concurrently, each on the same input. */
  parallel(definition: Record<string, any>): Promise<WorkflowHandle>;
  /** Run the step of the first branch whose `when(input)` is true, else `default`. */
  conditional(definition: Record<string, any>): Promise<WorkflowHandle>;
  /** Run `step` repeatedly, feeding each output back in, until `until(output, i)` is true. */
  loop(definition: Record<string, any>): Promise<WorkflowHandle>;
  /** Continue a checkpointed run (`wf.run(input, {checkpoint = true})`) from its first unfinished step. */
  resume(run_id: string): Promise<Record<string, any>>;
  /** The checkpointed runs of this session, oldest first: `{run_id, workflow, status, steps_done, time}`. */
  runs(): Promise<(Record<string, any>)[]>;
};

/** Call a model directly, without an agent. */
declare const LLM: {
  /** Send one prompt; returns the reply text. */
  complete(prompt: string, opts?: { model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; api_base?: string; api_key?: string; timeout?: number; responses?: any[]; } | null): Promise<string>;
  /** Send a conversation `[{role, content}]`; returns the reply text. */
  chat(messages: (Record<string, any>)[], opts?: { model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; api_base?: string; api_key?: string; timeout?: number; responses?: any[]; } | null): Promise<string>;
  /** Stream a reply: `on_chunk(text)` for each chunk (else the chunks are printed). Returns the full text. */
  stream(prompt: string, on_chunk?: (...args: any[]) => any, opts?: { model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; api_base?: string; api_key?: string; timeout?: number; responses?: any[]; } | null): Promise<string>;
};

/** Templates for prompts. */
declare const Prompt: {
  /** Render a Jinja2 template with `vars`, in Jinja2's sandbox. */
  render(template: string, vars?: Record<string, any> | null): Promise<string>;
};

/** Files under the session's sandbox root. A path that escapes the root is refused. */
declare const fs: {
  /** The text of a file (UTF-8). */
  read(path: string): Promise<string>;
  /** Write text to a file, creating missing folders inside the root. Returns the bytes written. */
  write(path: string, content: string): Promise<number>;
  /** Append text to a file, creating it and its folders if missing. Returns the bytes written. */
  append(path: string, content: string): Promise<number>;
  /** Whether a file or folder exists. */
  exists(path: string): Promise<boolean>;
  /** The entries of a folder, sorted; folders end with `/`. */
  list(path?: string): Promise<string[]>;
  /** Remove a file or an empty folder. Returns whether it existed. */
  remove(path: string): Promise<boolean>;
};

/** JSON text to values and back. */
declare const json: {
  /** JSON text for a value (keys sorted, so output is stable). */
  encode(value: any, indent?: number | null): Promise<string>;
  /** The value of a JSON text. */
  decode(text: string): Promise<any>;
};

/** Rich output in a notebook; plain text elsewhere. */
declare const Display: {
  /** Show Markdown. */
  markdown(text: string): Promise<null>;
  /** Show HTML. */
  html(html: string): Promise<null>;
  /** Show a value as an expandable JSON tree. */
  json(value: any): Promise<null>;
};

/** About the running spell: its parameters and engine, and a sleep. */
declare const Spell: {
  /** Ask the user for a line of text: through the notebook's input box in Jupyter, the terminal elsewhere. */
  input(prompt?: string): Promise<string>;
  /** Set a token and/or cost budget (`{tokens, cost}`, cost in US dollars) for the rest of this run. */
  budget(limits?: Record<string, any> | null): Promise<Record<string, any>>;
  /** Wait `ms` milliseconds (interruptible). */
  sleep(ms: number): Promise<null>;
  readonly engine: string;
  readonly params: Record<string, any>;
};

/** Futures: wait for one, or for all of a list. */
declare const Async: {
  /** Wait for a future and return its value (or raise its error). */
  await(future: Future<any>): Promise<any>;
  /** Wait for every future of a list; returns their values in order. */
  all(futures: Future<any>[]): Promise<any[]>;
};

/** MCP servers the user configured: their tools (as `Tool`s named `SERVER.TOOL`), resources and prompts. */
declare const Mcp: {
  /** The configured servers: `[{name, transport, command, args | url, running}]`. Starts none. */
  servers(): Promise<(Record<string, any>)[]>;
  /** A server's tools, named `SERVER.TOOL` as `Tool.call` and agents take them (starts the server). */
  tools(server: string): Promise<string[]>;
  /** A server's resources: `[{uri, name, description?, mime_type?}]`. */
  resources(server: string): Promise<(Record<string, any>)[]>;
  /** Read a resource: its text, or a list of `{uri, mime_type, text | bytes}` for other contents. */
  resource(server: string, uri: string): Promise<any>;
  /** A server's prompts: `[{name, description?, arguments = [{name, required?}]}]`. */
  prompts(server: string): Promise<(Record<string, any>)[]>;
  /** A prompt filled with `args`: `[{role, content}]` messages, ready for `LLM.chat`. */
  prompt(server: string, name: string, args?: Record<string, any> | null): Promise<(Record<string, any>)[]>;
};

/** Show a value: rich output in a notebook (maps and lists as JSON), text elsewhere. */
declare function display(value: any): Promise<null>;

/** Lower-case alias of `Agent`, for go-llmspell spells. */
declare const agent: {
  /** Create an agent and register it in the session. */
  create(opts?: { name?: string; model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; max_iterations?: number; timeout?: number; system_prompt?: string; tools?: any[]; responses?: any[]; api_base?: string; api_key?: string; budget?: { tokens?: number; cost?: number }; approve?: string[] | boolean; } | null): Promise<AgentHandle>;
  /** Create an agent and register it in the session. */
  "new"(opts?: { name?: string; model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; max_iterations?: number; timeout?: number; system_prompt?: string; tools?: any[]; responses?: any[]; api_base?: string; api_key?: string; budget?: { tokens?: number; cost?: number }; approve?: string[] | boolean; } | null): Promise<AgentHandle>;
  /** The agent registered under `name`. */
  get(name: string): Promise<AgentHandle>;
  /** The names of the session's agents, sorted. */
  list(): Promise<string[]>;
  /** Remove an agent from the session. Returns whether it existed. */
  remove(name: string): Promise<boolean>;
};

/** Lower-case alias of `Tool`, for go-llmspell spells. */
declare const tools: {
  /** The names of every tool, built-in and registered, sorted. */
  list(): Promise<string[]>;
  /** Validate `args` against the tool's schema, then run it. A bad argument names the field. */
  execute(name: string, args?: Record<string, any> | null): Promise<any>;
  /** Register a tool: `name`, `description`, `params` (a JSON schema object), `fn(args)`. Returns a handle. */
  register(definition: Record<string, any>): Promise<ToolHandle>;
  /** A tool's name, description, params schema, and whether agents' calls need approval. */
  info(name: string): Promise<Record<string, any>>;
};

/** Lower-case alias of `State`, for go-llmspell spells. */
declare const state: {
  /** The value at `key` (a dotted key reaches into nested maps), or `default`. */
  get(key: string, default_?: any): Promise<any>;
  /** Set `key` to `value`. Returns the new version number. */
  set(key: string, value: any): Promise<number>;
  /** Atomic read-modify-write: `fn(old)` returns the new value. Returns the new version. */
  update(key: string, fn: (...args: any[]) => any): Promise<number>;
  /** Remove `key`. Returns the new version number. */
  delete(key: string): Promise<number>;
  /** The top-level keys, sorted. */
  keys(): Promise<string[]>;
  /** The current version number (0 before any change). */
  version(): Promise<number>;
  /** Changes, oldest first: `[{version, key, op, old, new, author, time}]`, for one key if given. */
  history(key?: string | null): Promise<(Record<string, any>)[]>;
  /** An immutable State value: the store as it was at `version`. */
  at(version: number): Promise<StateValue>;
  /** `{added, removed, changed}` between two versions: each a sorted list of dotted leaf paths */
  diff(v1: number, v2: number): Promise<Record<string, string[]>>;
  /** Restore the store as it was at `version`. The restore is itself a new version. */
  rollback(version: number): Promise<number>;
  /** The whole (scoped) store as a map. */
  to_map(): Promise<Record<string, any>>;
  /** The whole (scoped) store as a map. */
  toMap(): Promise<Record<string, any>>;
  /** A view with the same methods, isolated under `name` (for example `"agent:writer"`). */
  scope(name: string): Promise<StateScope>;
  /** A live widget of the store's versions, with diffs and rollback: `display` it in a notebook. */
  timeline(key?: string | null): Promise<any>;
  /** An immutable State value made from a map. Its `set`, `merge` and `delete` return new values. */
  "new"(values?: any): Promise<StateValue>;
  /** Attach a JSON schema to a top-level key; writes that do not match it are refused. */
  schema(key: string, json_schema: Record<string, any>): Promise<boolean>;
};

/** Lower-case alias of `LLM`, for go-llmspell spells. */
declare const llm: {
  /** Send one prompt; returns the reply text. */
  complete(prompt: string, opts?: { model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; api_base?: string; api_key?: string; timeout?: number; responses?: any[]; } | null): Promise<string>;
  /** Send a conversation `[{role, content}]`; returns the reply text. */
  chat(messages: (Record<string, any>)[], opts?: { model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; api_base?: string; api_key?: string; timeout?: number; responses?: any[]; } | null): Promise<string>;
  /** Stream a reply: `on_chunk(text)` for each chunk (else the chunks are printed). Returns the full text. */
  stream(prompt: string, on_chunk?: (...args: any[]) => any, opts?: { model?: string; system?: string; temperature?: number; max_tokens?: number; response_format?: "text" | "json" | Record<string, any>; api_base?: string; api_key?: string; timeout?: number; responses?: any[]; } | null): Promise<string>;
};
