// rosaOS browser UI: plain JS, no build step. Everything live comes from the kernel's event stream (SSE)
// and the robot daemon's state WebSocket; nothing is polled except the camera picture (and the lamp, light.js).
"use strict";

const API = {
  health: "/health",
  chat: "/chat",
  events: "/api/events",
  processes: "/api/processes",
  terminate: id => `/api/processes/${encodeURIComponent(id)}/terminate`,
  estop: "/api/estop",
  estopRelease: "/api/estop/release",
  listening: "/api/listening",
  drivers: "/api/drivers",
  callTool: (driver, tool) => `/api/drivers/${encodeURIComponent(driver)}/tools/${encodeURIComponent(tool)}`,
  config: "/ui/config.json",
};

const $ = id => document.getElementById(id);
const deg = rad => (rad * 180 / Math.PI);
const fmt = (v, d = 1) => (typeof v === "number" && isFinite(v) ? v.toFixed(d) : "–");

async function json(url, options = {}) {
  const response = await fetch(url, { headers: { "Content-Type": "application/json" }, ...options });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (!response.ok) {
    const reason = body && (body.error || body.detail || body.output) || `${response.status} ${response.statusText}`;
    throw new Error(typeof reason === "string" ? reason : JSON.stringify(reason));
  }
  return body;
}

// ---- chat -------------------------------------------------------------------------------------
// Lines are kept in time order (data-at, ms): live ones arrive last, a reloaded page's history (history.js) fills in before them.
function chatLine(kind, text, at) {
  const li = document.createElement("li");
  li.className = kind;
  li.textContent = text;
  const when = timeOf(at);
  li.dataset.at = String(when);
  const log = $("chat-log");
  const later = log.lastElementChild && Number(log.lastElementChild.dataset.at) > when
    ? [...log.children].find(x => Number(x.dataset.at) > when) ?? null : null;
  log.insertBefore(li, later);
  li.scrollIntoView({ block: "nearest" });
  return li;
}

const timeOf = at => { const t = typeof at === "number" ? at : Date.parse(at ?? ""); return isFinite(t) ? t : Date.now(); };

// Every line and call drawn once: the history and the live stream give the same item the same key.
const drawnKeys = new Set();
function firstTime(key) {
  if (!key) return true;
  if (drawnKeys.has(key)) return false;
  drawnKeys.add(key);
  return true;
}

const endedTypes = ["process_finished", "process_failed", "process_terminated"];
function eventKey(type, e) {
  if (e.key) return e.key;
  if (type === "tool_call" && e.call_id) return `c:${e.worker_id}:${e.call_id}`;
  if (type === "process_launched") return `p:${e.worker_id}:launched`;
  if (endedTypes.includes(type)) return `p:${e.worker_id}:ended`;
  return null;
}

// What a speak (worker) or reply (kernel) call said, from its JSON arguments.
function spokenText(args) {
  try { const a = typeof args === "string" ? JSON.parse(args) : args; return a && typeof a.text === "string" ? a.text : null; } catch { return null; }
}

// The conversation is drawn from the event stream, so messages from the CLI, the voice loop and other
// browsers show up too; the POST answer is only drawn when the stream is down.
let streamLive = false;

$("chat-form").addEventListener("submit", async event => {
  event.preventDefault();
  const prompt = $("chat-input").value.trim();
  if (!prompt) return;
  $("chat-input").value = "";
  $("chat-send").disabled = true;
  try {
    const body = await json(API.chat, { method: "POST", body: JSON.stringify({ prompt }) });
    if (!streamLive) { chatLine("user", prompt); chatLine("robot", body.output ?? ""); }
  } catch (e) {
    chatLine("error", `Error: ${e.message}`);
  } finally { $("chat-send").disabled = false; }
});

// ---- processes --------------------------------------------------------------------------------
const processes = new Map();

function renderProcesses() {
  const tbody = $("processes").querySelector("tbody");
  tbody.replaceChildren();
  const now = Date.now();
  for (const p of processes.values()) {
    const tr = document.createElement("tr");
    tr.dataset.workerId = p.worker_id;
    const started = Date.parse(p.started_at || p.launched_at || p.created_at || "") || now;
    const cells = [p.worker_id, (p.robots || []).join(", "), p.task ?? p.system_prompt ?? "", p.state ?? p.status ?? "running",
      `${Math.max(0, Math.round((now - started) / 1000))} s`];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i === 2) { td.className = "task"; td.title = text; td.textContent = text.length > 160 ? text.slice(0, 160) + "…" : text; }
      tr.append(td);
    });
    const td = document.createElement("td");
    const button = document.createElement("button");
    button.textContent = "Terminate";
    button.className = "terminate";
    button.addEventListener("click", async () => {
      button.disabled = true;
      try { await json(API.terminate(p.worker_id), { method: "POST", body: JSON.stringify({ force: true }) }); }
      catch (e) { activity("error", `terminate ${p.worker_id}: ${e.message}`); button.disabled = false; }
    });
    td.append(button);
    tr.append(td);
    tbody.append(tr);
  }
  $("no-processes").hidden = processes.size > 0;
}

async function loadProcesses() {
  try {
    const body = await json(API.processes);
    processes.clear();
    for (const p of (Array.isArray(body) ? body : body.running || [])) processes.set(p.worker_id, p);
    renderProcesses();
  } catch (e) { activity("error", `processes: ${e.message}`); }
}
setInterval(renderProcesses, 1000); // ages tick

// ---- emergency stop -------------------------------------------------------------------------------
// The latch lives in the drivers and the kernel; the page shows what the kernel reports (GET /api/estop, then the
// estop_state events) on every view, and releases only through the confirmation dialog.
let estopEngaged = false;

const estopSources = { ui: "from the UI", cli: "from rosa estop", api: "through the kernel API", agent: "by an agent", voice: "by voice", kernel: "by the kernel" };
const describeDriver = d => d.answered === false ? `${d.name}: no answer${d.pending ? " (retrying)" : ""}`
  : `${d.name}: ${d.engaged ? "stopped" : d.engaged === false ? "released" : "unknown"}`;

function renderEstop(status) {
  if (!status) return;
  estopEngaged = !!status.engaged;
  document.body.classList.toggle("estopped", estopEngaged);
  $("estop-banner").hidden = !estopEngaged;
  const at = status.engaged_at ? new Date(status.engaged_at).toLocaleTimeString() : "";
  $("estop-detail").textContent = estopEngaged
    ? `at ${at} ${estopSources[status.source] || `from ${status.source || "an unknown source"}`}${status.reason ? ` (${status.reason})` : ""}. Robots are held stopped; no process can be launched until a person releases it.`
    : "";
  $("estop-drivers").replaceChildren(...(status.drivers || []).map(d => {
    const li = document.createElement("li");
    li.dataset.driver = d.name;
    li.dataset.engaged = String(d.engaged === true);
    li.textContent = describeDriver(d);
    return li;
  }));
  // The manual-control list says which drivers are latched.
  for (const option of $("driver-select").options) {
    const d = (status.drivers || []).find(x => x.name === option.value);
    option.textContent = option.value + (d?.engaged ? " (STOPPED)" : "") + (drivers.find(x => x.name === option.value)?.reachable === false ? " (unreachable)" : "");
  }
}

async function loadEstop() {
  try { renderEstop(await json(API.estop)); } catch (e) { activity("error", `emergency stop state: ${e.message}`); }
}

async function engageEstop() {
  $("estop").disabled = true;
  try {
    const body = await json(API.estop, { method: "POST", body: JSON.stringify({ source: "ui" }) });
    // With the stream live the "estop" event draws the same answer; without it, draw it here.
    if (!streamLive) {
      const drivers = (body.drivers || []).map(d => `${d.driver}: ${d.ok ? "stopped" : d.summary}`).join(", ");
      activity("estop", ` engaged in ${Math.round(body.elapsed_ms ?? 0)} ms; terminated ${(body.terminated || []).length} worker(s); ${drivers || "no driver configured"}`);
    }
    loadEstop();
  } catch (e) { activity("error", `emergency stop: ${e.message}`); }
  finally { $("estop").disabled = false; }
}

$("estop").addEventListener("click", engageEstop);
// Esc stops everything from anywhere on the page (except while the release dialog is open, where Esc means "keep stopped").
document.addEventListener("keydown", event => {
  if (event.key === "Escape" && !$("estop-dialog").open) { event.preventDefault(); engageEstop(); }
});

$("estop-release").addEventListener("click", async () => {
  await loadEstop();
  const engaged = [...$("estop-drivers").children].filter(li => li.dataset.engaged === "true").map(li => li.dataset.driver);
  $("estop-dialog-drivers").textContent = engaged.length ? `Stopped now: ${engaged.join(", ")}.` : "";
  $("estop-dialog").showModal();
});

$("estop-dialog").addEventListener("close", async () => {
  if ($("estop-dialog").returnValue !== "release") return;
  try {
    const body = await json(API.estopRelease, { method: "POST", body: JSON.stringify({ by: "ui", confirm: true }) });
    const failed = (body.drivers || []).filter(d => !d.ok).map(d => `${d.driver}: ${d.summary}`);
    if (!streamLive) activity("estop_release", ` released${failed.length ? "; not released: " + failed.join(", ") : ""}`);
  } catch (e) { activity("error", `release: ${e.message}`); }
  loadEstop();
});

// ---- listening: the speech loop reports when speech is taken as a request (after the wake word, or in the follow-up window)
function renderListening(state) {
  const on = !!(state && state.listening);
  $("listening").hidden = !on;
  $("listening").textContent = state && state.reason === "follow_up" ? "listening (answer without the wake word)" : "listening";
}

async function loadListening() {
  try { renderListening(await json(API.listening)); } catch (e) { activity("error", `listening state: ${e.message}`); }
}

// ---- activity and the event stream ---------------------------------------------------------------
function activity(kind, text, at) {
  const li = document.createElement("li");
  li.dataset.kind = kind;
  const when = timeOf(at);
  li.dataset.at = String(when);
  const time = document.createElement("time");
  time.textContent = new Date(when).toLocaleTimeString();
  const k = document.createElement("span");
  k.className = "kind";
  k.textContent = kind;
  li.append(time, k, document.createTextNode(text));
  const list = $("activity");
  // Newest first; an older entry (from the history) goes below the newer ones.
  const older = list.firstElementChild && Number(list.firstElementChild.dataset.at) > when
    ? [...list.children].find(x => Number(x.dataset.at) < when) ?? null : list.firstElementChild;
  list.insertBefore(li, older);
  while (list.children.length > 500) list.lastChild.remove();
}

const short = (v, n = 200) => { const s = typeof v === "string" ? v : JSON.stringify(v); return s && s.length > n ? s.slice(0, n) + "…" : (s ?? ""); };

// Draws one event (live, or from the history with its time in at); an item already drawn is skipped.
function onEvent(type, e, at = e.at || e.time) {
  if (!firstTime(eventKey(type, e))) return;
  switch (type) {
    case "user_message":
      chatLine(e.source === "speech" ? "user spoken" : "user", e.text ?? "", at); break;
    case "kernel_output":
      chatLine(e.event_id != null || !e.worker_id ? "robot" : "background", e.content ?? "", at); break;
    case "process_launched":
      if (e.state === "running" || e.state == null) { processes.set(e.worker_id, { ...e, state: "running" }); renderProcesses(); }
      break;
    case "process_finished": case "process_failed": case "process_terminated":
      processes.delete(e.worker_id); renderProcesses(); break;
    case "tool_call":
      // What the robot said: a worker's speak or the kernel's reply.
      if ((e.tool === "speak" || e.tool === "reply") && !e.is_error && spokenText(e.arguments) != null) chatLine("said", spokenText(e.arguments), at);
      break;
    case "provider_status": showProvider({ llm: e }); break;
    case "estop_state": renderEstop(e); return; // a state change, not an activity
    case "listening": renderListening(e); return;
    case "event_expired": chatLine("expired", `Not run (too old): ${e.text ?? ""}`, at); break;
  }
  const summary = type === "tool_call"
    ? `${e.worker_id ?? ""} ${e.server ?? e.driver ?? ""}.${e.tool ?? ""}(${short(e.arguments, 120)}) → ${short(e.result ?? e.error, 160)}${e.duration_ms != null ? ` (${Math.round(e.duration_ms)} ms)` : ""}`
    : type === "estop" || type === "estop_release"
    ? `${e.action} by ${e.by} in ${Math.round(e.elapsed_ms ?? 0)} ms: ${(e.drivers || []).map(d => `${d.driver} ${d.ok ? "ok" : "– " + d.summary}`).join("; ")}`
    : short(e.content ?? e.message ?? e.text ?? e.task ?? e.system_prompt ?? e.reason ?? e, 300);
  activity(type, " " + summary, at);
}

// One event stream per page: every panel script listens on window.rosaEvents instead of opening its own
// connection (browsers allow six per host over HTTP/1.1, and each stream is a kernel subscriber).
window.rosaEvents = new EventSource(API.events);

function connectEvents() {
  const source = window.rosaEvents;
  const known = ["user_message", "kernel_output", "process_launched", "process_finished", "process_failed",
    "process_terminated", "tool_call", "provider_status", "estop", "estop_release", "estop_state", "event_expired", "listening"];
  const handler = ev => { let data = {}; try { data = JSON.parse(ev.data); } catch { data = { text: ev.data }; } onEvent(data.type || ev.type, data); };
  known.forEach(name => source.addEventListener(name, handler));
  source.onmessage = handler;
  source.onopen = () => { streamLive = true; $("stream-state").textContent = "events: live"; $("stream-state").className = "pill ok"; loadProcesses(); loadEstop(); loadListening(); };
  source.onerror = () => { streamLive = false; $("stream-state").textContent = "events: reconnecting"; $("stream-state").className = "pill bad"; };
}

// ---- LLM provider -----------------------------------------------------------------------------
function showProvider(health) {
  const llm = health.llm || {};
  const name = llm.provider;
  const available = !!llm.available;
  const reason = llm.status;
  $("provider").textContent = available ? `LLM: ${name}${llm.model ? " · " + llm.model : ""}` : "LLM: none";
  $("provider").className = available ? "pill ok" : "pill bad";
  $("llm-banner").hidden = available;
  $("llm-banner").textContent = available ? "" :
    `No LLM is configured${reason ? ` (${reason})` : ""}. Set GROQ_API_KEY, start a local OpenAI-compatible server on port 6000, or set ANTHROPIC_API_KEY and run with --anthropic, then restart. Manual control below works without one.`;
}

async function loadHealth() {
  try { showProvider(await json(API.health)); } catch (e) { $("provider").textContent = "LLM: ?"; }
}

// ---- manual control ---------------------------------------------------------------------------
let drivers = [];

async function loadDrivers() {
  try {
    const body = await json(API.drivers);
    drivers = Array.isArray(body) ? body : body.drivers || [];
  } catch (e) { activity("error", `drivers: ${e.message}`); drivers = []; }
  const select = $("driver-select");
  select.replaceChildren(...drivers.map(driverOption));
  // Start on a driver that can be used; switched-off ones stay listed so the config's choice is visible.
  const usable = drivers.find(d => d.enabled !== false);
  if (usable) select.value = usable.name;
  renderTools();
  loadEstop();
}

// A driver switched off in drivers.json is shown, greyed out, with the reason; it cannot be picked.
function driverOption(d) {
  const off = d.enabled === false;
  const option = new Option(`${d.name}${off ? " (disabled)" : d.reachable === false ? " (unreachable)" : ""}`, d.name);
  option.disabled = off;
  if (d.problem) option.title = d.problem;
  return option;
}

function currentDriver() { return drivers.find(d => d.name === $("driver-select").value); }
function currentTool() { return (currentDriver()?.tools || []).find(t => t.name === $("tool-select").value); }

function renderTools() {
  const tools = currentDriver()?.tools || [];
  $("tool-select").replaceChildren(...tools.map(t => new Option(t.name, t.name)));
  renderFields();
}

function renderFields() {
  const tool = currentTool();
  $("tool-description").textContent = tool?.description ?? "";
  const fields = $("tool-fields");
  fields.replaceChildren();
  const schema = tool?.input_schema ?? tool?.inputSchema ?? {};
  const required = new Set(schema.required || []);
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    const label = document.createElement("label");
    label.htmlFor = `field-${name}`;
    label.textContent = name + (required.has(name) ? " *" : "");
    label.title = prop.description || "";
    let input;
    const type = Array.isArray(prop.type) ? prop.type.find(t => t !== "null") : prop.type;
    if (prop.enum) {
      input = document.createElement("select");
      if (!required.has(name)) input.append(new Option("", ""));
      prop.enum.forEach(v => input.append(new Option(String(v), String(v))));
    } else if (type === "boolean") {
      input = document.createElement("select");
      ["", "true", "false"].forEach(v => input.append(new Option(v, v)));
    } else {
      input = document.createElement("input");
      input.type = type === "number" || type === "integer" ? "number" : "text";
      if (type === "number") input.step = "any";
      if (type === "array" || type === "object") input.placeholder = "JSON";
    }
    input.id = `field-${name}`;
    input.name = name;
    input.dataset.type = type || "string";
    if (prop.default !== undefined) input.value = typeof prop.default === "object" ? JSON.stringify(prop.default) : String(prop.default);
    fields.append(label, input);
  }
}

$("driver-select").addEventListener("change", renderTools);
$("tool-select").addEventListener("change", renderFields);

$("manual-form").addEventListener("submit", async event => {
  event.preventDefault();
  const driver = $("driver-select").value, tool = $("tool-select").value;
  if (!driver || !tool) return;
  const args = {};
  const result = $("tool-result");
  try {
    for (const input of $("tool-fields").querySelectorAll("input, select")) {
      if (input.value === "") continue;
      const t = input.dataset.type;
      args[input.name] = t === "number" || t === "integer" ? Number(input.value)
        : t === "boolean" ? input.value === "true"
        : t === "array" || t === "object" ? JSON.parse(input.value)
        : input.value;
    }
  } catch (e) { result.className = "result error"; result.textContent = `Invalid field: ${e.message}`; return; }
  result.className = "result";
  result.textContent = "calling…";
  try {
    // A tool's own error (422) is a result to show, not a transport failure.
    const response = await fetch(API.callTool(driver, tool), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(args) });
    const body = await response.json().catch(() => ({ ok: false, error: `${response.status} ${response.statusText}` }));
    result.className = body.ok ? "result" : "result error";
    result.textContent = body.result ?? body.error ?? JSON.stringify(body, null, 2);
  } catch (e) { result.className = "result error"; result.textContent = `Error: ${e.message}`; }
});

// ---- the robot --------------------------------------------------------------------------------
function drawPose(state) {
  const hp = state.head_pose || {};
  const yaw = hp.yaw ?? 0, pitch = hp.pitch ?? 0, roll = hp.roll ?? 0;
  const body = state.body_yaw ?? 0;
  const [right, left] = state.antennas_position || [0, 0];
  const head = $("head");
  // Front view: yaw slides the face sideways, pitch up/down, roll tilts; translations in mm shift it.
  const dx = Math.sin(yaw - body) * 40 + (hp.y ?? 0) * -1000 * 0.8;
  const dy = -Math.sin(pitch) * 40 - (hp.z ?? 0) * 1000 * 0.8;
  head.setAttribute("transform", `translate(${dx.toFixed(1)} ${dy.toFixed(1)}) rotate(${(-deg(roll)).toFixed(1)})`);
  $("eyes").setAttribute("transform", `translate(${(Math.sin(yaw - body) * 18).toFixed(1)} ${(Math.sin(pitch) * 12).toFixed(1)})`);
  $("antenna-right").setAttribute("transform", `rotate(${(-deg(right)).toFixed(1)} -28 -38)`);
  $("antenna-left").setAttribute("transform", `rotate(${(-deg(left)).toFixed(1)} 28 -38)`);
  $("body-mark").setAttribute("transform", `translate(${(Math.sin(body) * 60).toFixed(1)} 0)`);
  Object.assign(head.dataset, { yaw: deg(yaw).toFixed(1), pitch: deg(pitch).toFixed(1), roll: deg(roll).toFixed(1) });
  $("body").dataset.yaw = deg(body).toFixed(1);
  $("ro-yaw").textContent = `${fmt(deg(yaw))}°`;
  $("ro-pitch").textContent = `${fmt(deg(pitch))}°`;
  $("ro-roll").textContent = `${fmt(deg(roll))}°`;
  $("ro-xyz").textContent = `${fmt((hp.x ?? 0) * 1000)} / ${fmt((hp.y ?? 0) * 1000)} / ${fmt((hp.z ?? 0) * 1000)}`;
  $("ro-body").textContent = `${fmt(deg(body))}°`;
  $("ro-antennas").textContent = `R ${fmt(deg(right))}° L ${fmt(deg(left))}°`;
}

function connectRobot(daemonUrl) {
  const wsUrl = daemonUrl.replace(/^http/, "ws") + "/api/state/ws/full?frequency=20&with_head_pose=true&with_body_yaw=true&with_antenna_positions=true";
  let socket;
  try { socket = new WebSocket(wsUrl); } catch (e) { $("robot-state").textContent = `cannot connect: ${e.message}`; return; }
  socket.onopen = () => { $("robot-state").textContent = `live from ${daemonUrl}`; };
  socket.onmessage = m => { try { drawPose(JSON.parse(m.data)); } catch { /* a malformed frame is skipped, as the daemon does */ } };
  socket.onclose = () => { $("robot-state").textContent = "disconnected, retrying…"; setTimeout(() => connectRobot(daemonUrl), 2000); };
}

// The head camera comes from the Reachy driver through the kernel (GET /api/drivers/{name}/camera.jpg), so the page shows the
// real robot's camera as well as the simulator's: the driver reads whichever its camera interface chose. The driver is the
// one offering take_picture (the shipped key "reachy-mini" while the tool list is not known yet).
function cameraDriver() {
  const withCamera = drivers.find(d => d.enabled !== false && (d.tools || []).some(t => t.name === "take_picture"));
  return withCamera?.name ?? "reachy-mini";
}

function startCamera() {
  const img = $("camera");
  let failures = 0;
  const next = () => { img.src = `/api/drivers/${encodeURIComponent(cameraDriver())}/camera.jpg?t=${Date.now()}`; };
  img.onload = () => { failures = 0; $("camera-figure").hidden = false; setTimeout(next, 200); };
  img.onerror = () => { failures++; if (failures > 3) $("camera-figure").hidden = true; setTimeout(next, Math.min(10000, 500 * failures)); };
  next();
}

(async function main() {
  connectEvents();
  loadEstop();
  loadHealth();
  loadProcesses();
  // The camera's driver is known once the drivers are listed; the pose drawing does not wait for that.
  loadDrivers().then(startCamera);
  let daemonUrl = "http://127.0.0.1:8000";
  try { daemonUrl = (await json(API.config)).daemon_url || daemonUrl; } catch { /* keep the default */ }
  connectRobot(daemonUrl);
})();
