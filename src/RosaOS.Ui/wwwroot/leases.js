// Who may move each robot (issue 13): one mover per robot, a worker or a person. Polls GET /api/leases and offers
// "Take control" / "Give back" (POST /api/leases/{robot}/take|return with a JSON body). Kept apart from app.js.
(function leases() {
  "use strict";
  const list = document.getElementById("lease-list");
  if (!list) return;

  async function post(robot, action) {
    const response = await fetch(`/api/leases/${encodeURIComponent(robot)}/${action}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      alert(body.error || `${action} failed: HTTP ${response.status}`);
    }
    await load();
  }

  function render(leases) {
    list.replaceChildren(...leases.map(l => {
      const item = document.createElement("li");
      const who = document.createElement("span");
      who.textContent = l.holder == null
        ? `${l.robot}: free (anyone may move it)`
        : l.kind === "person"
          ? `${l.robot}: a person (manual control) since ${new Date(l.since).toLocaleTimeString()}`
          : `${l.robot}: worker ${l.holder}${l.note ? ` (${l.note})` : ""}`;
      item.append(who);
      const button = document.createElement("button");
      button.type = "button";
      const mine = l.kind === "person";
      button.textContent = mine ? "Give back" : "Take control";
      button.title = mine ? "Let the next waiting worker (or anyone) move it again" : "Only you (manual control) may move it; its worker is refused until you give it back";
      button.addEventListener("click", () => post(l.robot, mine ? "return" : "take"));
      item.append(" ", button);
      item.className = l.holder == null ? "lease-free" : mine ? "lease-person" : "lease-worker";
      return item;
    }));
  }

  async function load() {
    try {
      const response = await fetch("/api/leases");
      if (response.ok) render((await response.json()).leases || []);
    } catch { /* the kernel is restarting; the next poll tries again */ }
  }

  load();
  setInterval(load, 2000);
})();
