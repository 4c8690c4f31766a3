// The page's history (issue 17): a page opened or reloaded draws the recent conversation (the user, the kernel, what the
// robot said), the recent processes with their outcomes and tool calls, and the activity they made, from the kernel's
// database (GET /api/history), then goes on live. It listens on the page's one event stream (window.rosaEvents) and
// uses app.js's drawing (onEvent), whose keys draw an item once whether it comes from the history or the stream.
(() => {
  "use strict";
  const list = document.getElementById("finished-processes");
  const none = document.getElementById("no-finished-processes");
  if (!list || !window.rosaEvents) return;
  const finished = new Map(); // worker_id → the process as its end event (or the history) gave it
  const calls = new Map(); // worker_id → Map(key → tool call)

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function addCall(call) {
    if (!call.worker_id) return;
    if (!calls.has(call.worker_id)) calls.set(call.worker_id, new Map());
    calls.get(call.worker_id).set(call.key || `${call.tool}@${call.at ?? Date.now()}`, call);
  }

  function render() {
    const rows = [...finished.values()].sort((a, b) => Date.parse(b.ended_at || b.started_at || 0) - Date.parse(a.ended_at || a.started_at || 0));
    list.replaceChildren(...rows.slice(0, 50).map(p => {
      const li = el("li", "finished-process");
      li.dataset.workerId = p.worker_id;
      li.dataset.state = p.state ?? "";
      const head = el("div", "process-head");
      head.append(el("strong", null, p.worker_id), el("span", `state ${p.state ?? ""}`, ` ${p.state ?? ""}`),
        el("span", "muted", ` · ${(p.robots || []).join(", ")} · ${p.ended_at ? new Date(p.ended_at).toLocaleTimeString() : ""}`));
      const task = p.system_prompt ?? "";
      li.append(head, el("div", "task", task.length > 200 ? task.slice(0, 200) + "…" : task));
      if (p.outcome) li.append(el("div", "outcome", p.outcome));
      const made = [...(calls.get(p.worker_id)?.values() ?? [])];
      if (made.length) {
        const ul = el("ul", "tool-calls");
        for (const c of made) {
          const result = String(c.result ?? "");
          ul.append(el("li", c.is_error ? "tool-call error" : "tool-call",
            `${c.server ?? ""}.${c.tool}(${short(c.arguments, 120)}) → ${result.length > 160 ? result.slice(0, 160) + "…" : result}`));
        }
        li.append(ul);
      }
      return li;
    }));
    none.hidden = finished.size > 0;
  }

  function ended(e) {
    finished.set(e.worker_id, e);
    render();
  }

  const parse = ev => { try { return JSON.parse(ev.data); } catch { return null; } };
  window.rosaEvents.addEventListener("tool_call", ev => {
    const e = parse(ev);
    if (!e || e.worker_id === "manual" || e.worker_id === "kernel") return;
    addCall({ ...e, key: e.key || (e.call_id ? `c:${e.worker_id}:${e.call_id}` : null) });
    if (finished.has(e.worker_id)) render();
  });
  for (const type of ["process_finished", "process_failed", "process_terminated"]) {
    window.rosaEvents.addEventListener(type, ev => { const e = parse(ev); if (e) ended(e); });
  }

  // Fills the page from the database; run on every (re)connect, so what happened while the kernel was away shows too.
  async function load() {
    let body;
    try {
      const r = await fetch("/api/history?limit=100&processes=20", { headers: { Accept: "application/json" } });
      if (!r.ok) return;
      body = await r.json();
    } catch { return; /* the kernel restarting: the next connect loads it */ }
    for (const line of body.conversation || []) {
      switch (line.role) {
        case "user": onEvent("user_message", { key: line.key, source: line.source, text: line.text, event_id: line.event_id }, line.at); break;
        case "kernel": onEvent("kernel_output", { key: line.key, role: "model", content: line.text, event_id: line.event_id }, line.at); break;
        case "expired": onEvent("event_expired", { key: line.key, text: line.text, event_id: line.event_id }, line.at); break;
        case "said":
          // A worker's speak comes with its process's calls below; the kernel's reply is its own.
          if (!line.worker_id) onEvent("tool_call", { key: line.key, worker_id: "kernel", tool: "reply", arguments: JSON.stringify({ text: line.text }) }, line.at);
          break;
      }
    }
    for (const p of body.processes || []) {
      const { tool_calls: made = [], ...process } = p;
      onEvent("process_launched", process, process.started_at);
      for (const c of made) {
        const call = { ...c, worker_id: process.worker_id };
        addCall(call);
        if (c.status === "done") onEvent("tool_call", call, c.at);
      }
      if (process.state !== "running") {
        onEvent(process.state === "terminated" ? "process_terminated" : process.state === "done" ? "process_finished" : "process_failed", process, process.ended_at || process.started_at);
        if (!finished.has(process.worker_id)) finished.set(process.worker_id, process);
      }
    }
    render();
  }

  window.rosaEvents.addEventListener("open", load);
  if (window.rosaEvents.readyState === EventSource.OPEN) load();
})();
