// The approval queue (issue 13): calls a driver's drivers.json "approval" policy holds until a person decides. Lists
// GET /api/approvals (driver, tool, exact arguments, why, time left), refreshes on the kernel's "approval" and
// "approval_decided" events and every 2 s, and posts Approve / Deny as {"by": "ui", "digest"} (JSON body) to
// /api/approvals/{driver}/{id}/approve|deny. A driver whose policy is not enforced (unreachable, or serving no gate) is
// named with the reason, so an empty queue is never taken for "nothing waits". The panel is created here so
// index.html needs only the script tag.
(function approvals() {
  "use strict";
  const main = document.querySelector("main");
  if (!main) return;
  const panel = document.createElement("section");
  panel.id = "approvals-panel";
  panel.className = "panel wide";
  panel.innerHTML = '<h2>Approvals <small class="muted">calls waiting for a person</small></h2>' +
    '<ul id="approval-problems" class="log"></ul><ol id="approval-list" class="log"></ol><p id="no-approvals" class="muted">No call waits for approval.</p>';
  main.prepend(panel);
  const list = panel.querySelector("#approval-list");
  const none = panel.querySelector("#no-approvals");
  const problems = panel.querySelector("#approval-problems");

  async function decide(call, action) {
    const note = action === "deny" ? (prompt(`Deny ${call.tool} on ${call.driver}? Optional reason for the agent:`, "") ?? null) : "";
    if (note === null) return;
    const response = await fetch(`/api/approvals/${encodeURIComponent(call.driver)}/${encodeURIComponent(call.id)}/${action}`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ by: "ui", digest: call.digest, note: note || null }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      alert(body.error || `${action} failed: HTTP ${response.status}`);
    }
    await load();
  }

  function render(pending) {
    none.hidden = pending.length > 0;
    panel.style.outline = pending.length > 0 ? "3px solid var(--danger, #c00)" : "";
    list.replaceChildren(...pending.map(call => {
      const item = document.createElement("li");
      const head = document.createElement("div");
      const left = Math.max(0, Math.round((new Date(call.expires_at) - Date.now()) / 1000));
      head.textContent = `${call.driver} · ${call.tool} · ${call.reason} · caller ${call.caller || "unknown"} · ${left} s left`;
      const args = document.createElement("pre");
      args.className = "result";
      args.textContent = JSON.stringify(call.arguments, null, 2);
      const approve = document.createElement("button");
      approve.type = "button";
      approve.textContent = "Approve";
      approve.title = "Run this call once, with exactly these arguments";
      approve.addEventListener("click", () => decide(call, "approve"));
      const deny = document.createElement("button");
      deny.type = "button";
      deny.className = "danger";
      deny.textContent = "Deny";
      deny.title = "Refuse it; the agent is told a person denied it";
      deny.addEventListener("click", () => decide(call, "deny"));
      item.append(head, args, approve, " ", deny);
      return item;
    }));
  }

  async function load() {
    try {
      const response = await fetch("/api/approvals");
      if (!response.ok) return;
      const body = await response.json();
      render(body.pending || []);
      problems.replaceChildren(...(body.drivers || []).filter(d => d.problem).map(d => {
        const item = document.createElement("li");
        item.className = "error";
        item.dataset.driver = d.driver;
        item.textContent = `Not enforced: ${d.problem}`;
        return item;
      }));
    } catch { /* the kernel is restarting; the next poll tries again */ }
  }

  const events = window.rosaEvents;
  ["approval", "approval_decided"].forEach(name => events.addEventListener(name, load));
  load();
  setInterval(load, 2000);
})();
