// Start the kernel's conversation over (issue 18): its history survives restarts, so the user needs a way to reset it.
// Own file so the shared app.js stays untouched; POST /api/conversation/reset with a JSON body.
(() => {
  "use strict";
  const form = document.getElementById("chat-form");
  const log = document.getElementById("chat-log");
  if (!form || !log) {
    return;
  }
  const button = document.createElement("button");
  button.type = "button";
  button.id = "chat-reset";
  button.textContent = "Start over";
  button.title = "Forget the conversation so far (the robot keeps its tasks and settings)";
  form.appendChild(button);
  button.addEventListener("click", async () => {
    if (!window.confirm("Start the conversation over? The kernel forgets what was said so far.")) {
      return;
    }
    button.disabled = true;
    try {
      const response = await fetch("/api/conversation/reset", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      const answer = await response.json();
      const line = document.createElement("li");
      line.className = "system";
      line.textContent = response.ok
        ? `Conversation reset (${answer.cleared_messages} stored messages forgotten).`
        : `Reset failed: ${answer.error ?? response.status}`;
      if (response.ok) {
        log.replaceChildren();
      }
      log.appendChild(line);
    } catch (error) {
      const line = document.createElement("li");
      line.className = "system";
      line.textContent = `Reset failed: ${error}`;
      log.appendChild(line);
    } finally {
      button.disabled = false;
    }
  });
})();
