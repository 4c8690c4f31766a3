// Timers (issue 16): what the kernel agent scheduled for itself. Lists GET /api/timers (text, next due time, repeat, owner,
// times fired; ended ones muted), refreshes on the kernel's "timers" events and every 5 s, and cancels with
// POST /api/timers/{id}/cancel {"by": "a person (ui)"} (JSON body). The panel is created here so index.html needs only the script tag.
(function schedule() {
  "use strict";
  const main = document.querySelector("main");
  if (!main) return;
  const panel = document.createElement("section");
  panel.id = "timers-panel";
  panel.className = "panel";
  panel.innerHTML = '<h2>Timers <small class="muted">reminders the kernel set itself</small></h2>' +
    '<ol id="timer-list" class="log"></ol><p id="no-timers" class="muted">No timer.</p>';
  const activity = document.getElementById("activity-panel");
  if (activity) main.insertBefore(panel, activity); else main.append(panel);
  const list = panel.querySelector("#timer-list");
  const none = panel.querySelector("#no-timers");

  async function cancel(timer) {
    if (!confirm(`Cancel the timer "${timer.text}"?`)) return;
    const response = await fetch(`/api/timers/${encodeURIComponent(timer.timer_id)}/cancel`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ by: "a person (ui)" }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      alert(body.error || `cancel failed: HTTP ${response.status}`);
    }
    await load();
  }

  function describe(timer) {
    const repeat = timer.repeat_seconds ? ` · every ${Math.round(timer.repeat_seconds / 60)} min` : "";
    const when = timer.status === "active" ? `next ${new Date(timer.due_at).toLocaleString()}` : `${timer.status}${timer.end_reason ? ` (${timer.end_reason})` : ""}`;
    return `${timer.text} · ${when}${repeat} · fired ${timer.fired}× · by ${timer.owner}`;
  }

  function render(timers) {
    none.hidden = timers.length > 0;
    list.replaceChildren(...timers.map(timer => {
      const item = document.createElement("li");
      item.textContent = describe(timer) + " ";
      if (timer.status === "active") {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "danger";
        button.textContent = "Cancel";
        button.title = "Stop this timer for good";
        button.addEventListener("click", () => cancel(timer));
        item.append(button);
      } else {
        item.className = "muted";
      }
      return item;
    }));
  }

  async function load() {
    try {
      const response = await fetch("/api/timers?ended=5");
      if (response.ok) render((await response.json()).timers || []);
    } catch { /* the kernel is restarting; the next poll tries again */ }
  }

  const events = window.rosaEvents;
  events.addEventListener("timers", load);
  load();
  setInterval(load, 5000);
})();
