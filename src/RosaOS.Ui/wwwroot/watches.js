// Watches (issue 16): conditions a worker or the kernel agent asked a robot's driver to watch for. Lists GET /api/watches
// (every driver's watches, gathered by the kernel: driver, condition, text, owner, expiry, times fired) and names a driver
// that could not be asked, refreshes on the kernel's "watches" and "robot_event" events and every 5 s, and cancels with
// POST /api/watches/{driver}/{id}/cancel {"by": "a person (ui)"} (JSON body). Shares the page's one event stream
// (window.rosaEvents). The panel is created here, right after the Timers panel, so index.html needs only the script tag.
(function watches() {
  "use strict";
  const main = document.querySelector("main");
  if (!main) return;
  const panel = document.createElement("section");
  panel.id = "watches-panel";
  panel.className = "panel";
  panel.innerHTML = '<h2>Watches <small class="muted">robot conditions that wake the kernel</small></h2>' +
    '<ol id="watch-list" class="log"></ol><p id="no-watches" class="muted">No watch.</p><ul id="watch-problems" class="log muted"></ul>';
  const timers = document.getElementById("timers-panel");
  const activity = document.getElementById("activity-panel");
  if (timers) timers.after(panel); else if (activity) main.insertBefore(panel, activity); else main.append(panel);
  const list = panel.querySelector("#watch-list");
  const none = panel.querySelector("#no-watches");
  const problems = panel.querySelector("#watch-problems");

  async function cancel(watch) {
    if (!confirm(`Cancel the watch "${watch.text || watch.summary}" on ${watch.driver}?`)) return;
    const response = await fetch(`/api/watches/${encodeURIComponent(watch.driver)}/${encodeURIComponent(watch.id)}/cancel`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ by: "a person (ui)" }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      alert(body.error || `cancel failed: HTTP ${response.status}`);
    }
    await load();
  }

  function describe(watch) {
    const until = watch.expires_at ? ` · until ${new Date(watch.expires_at).toLocaleString()}` : "";
    return `${watch.driver} · ${watch.summary}${watch.text ? ` · "${watch.text}"` : ""}${until} · fired ${watch.fired}× · by ${watch.owner || "?"}`;
  }

  function render(body) {
    const items = body.watches || [];
    none.hidden = items.length > 0;
    list.replaceChildren(...items.map(watch => {
      const item = document.createElement("li");
      item.dataset.driver = watch.driver;
      item.dataset.watchId = watch.id;
      item.textContent = describe(watch) + " ";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "danger";
      button.textContent = "Cancel";
      button.title = "Stop this watch for good";
      button.addEventListener("click", () => cancel(watch));
      item.append(button);
      return item;
    }));
    // Drivers that serve no watches (a smart plug) are not worth a line; one that is down or disabled is.
    problems.replaceChildren(...(body.drivers || []).filter(d => d.problem && !/serves no \/watches|^disabled/.test(d.problem)).map(d => {
      const item = document.createElement("li");
      item.dataset.driver = d.driver;
      item.textContent = d.problem;
      return item;
    }));
  }

  async function load() {
    try {
      const response = await fetch("/api/watches");
      if (response.ok) render(await response.json());
    } catch { /* the kernel is restarting; the next poll tries again */ }
  }

  const events = window.rosaEvents;
  events.addEventListener("watches", load);
  events.addEventListener("robot_event", load);
  load();
  setInterval(load, 5000);
})();
