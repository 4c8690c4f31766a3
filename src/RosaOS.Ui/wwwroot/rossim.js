// rosaOS browser UI: the simulated ROS robots (`rosa rossim`). One panel per robot that /ui/config.json lists:
// a top-down map of its room (walls, obstacles, dock, pictures, trail, planned path, pose) from GET /api/state,
// and its OAK-D preview camera from GET /api/camera.jpg, both on the simulator's own port.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const el = (name, attrs = {}, parent = null) => {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  };
  const points = list => list.map(([x, y]) => `${x},${-y}`).join(" ");

  function panel(url, index) {
    const section = document.createElement("section");
    section.className = "panel rossim-panel";
    section.id = `rossim-panel-${index}`;
    section.innerHTML = `<h2>ROS robot <small class="rossim-name">connecting…</small></h2>
      <div class="rossim-body">
        <svg class="rossim-map" role="img" aria-label="Top-down map of the simulated ROS robot"></svg>
        <figure><img class="rossim-camera" alt="OAK-D camera view"><figcaption>OAK-D camera</figcaption></figure>
      </div>
      <p class="rossim-readout muted"></p>`;
    const anchor = document.getElementById("process-panel");
    anchor ? anchor.parentNode.insertBefore(section, anchor) : document.querySelector("main")?.appendChild(section);
    return section;
  }

  function drawStatic(svg, state) {
    const h = state.room.half_size;
    svg.setAttribute("viewBox", `${-h - 0.2} ${-h - 0.2} ${2 * h + 0.4} ${2 * h + 0.4}`);
    el("rect", { x: -h, y: -h, width: 2 * h, height: 2 * h, class: "wall" }, svg);
    for (const o of state.obstacles) {
      el("rect", { x: o.min[0], y: -o.max[1], width: o.max[0] - o.min[0], height: o.max[1] - o.min[1], class: "obstacle" }, svg)
        .appendChild(Object.assign(document.createElementNS(SVG, "title"), { textContent: o.name }));
    }
    el("rect", { x: state.dock[0] - 0.17, y: -state.dock[1] - 0.08, width: 0.34, height: 0.16, class: "dock" }, svg);
    for (const p of state.pictures) {
      el("circle", { cx: p.at[0], cy: -p.at[1], r: 0.1, class: "picture" }, svg);
      const label = el("text", { x: p.at[0] * 0.88, y: -p.at[1] * 0.88, class: "picture-label", "text-anchor": "middle" }, svg);
      label.textContent = p.label.replace(/\s*\(.*\)$/, "");
    }
    const dynamic = {
      trail: el("polyline", { class: "trail" }, svg),
      plan: el("polyline", { class: "plan" }, svg),
      robot: el("g", {}, svg),
    };
    el("circle", { cx: 0, cy: 0, r: state.robot_radius, class: "robot" }, dynamic.robot);
    el("line", { x1: 0, y1: 0, x2: state.robot_radius, y2: 0, class: "heading" }, dynamic.robot);
    return dynamic;
  }

  async function follow(url, index) {
    const section = panel(url, index);
    const svg = section.querySelector("svg");
    const img = section.querySelector("img");
    let dynamic = null;
    let failures = 0;
    const tick = async () => {
      try {
        const response = await fetch(`${url}/api/state`, { cache: "no-store" });
        if (!response.ok) throw new Error(`${response.status}`);
        const state = await response.json();
        failures = 0;
        dynamic ??= drawStatic(svg, state);
        dynamic.trail.setAttribute("points", points(state.trail));
        dynamic.plan.setAttribute("points", points(state.plan.length ? [[state.pose.x, state.pose.y], ...state.plan] : []));
        dynamic.robot.setAttribute("transform", `translate(${state.pose.x} ${-state.pose.y}) rotate(${-state.pose.yaw * 180 / Math.PI})`);
        section.querySelector(".rossim-name").textContent = `${state.name} (simulated ${state.kind === "dog" ? "robot dog" : "TurtleBot 4"})`;
        section.querySelector(".rossim-readout").textContent =
          `x ${state.pose.x.toFixed(2)} m, y ${state.pose.y.toFixed(2)} m, battery ${(state.battery * 100).toFixed(0)}%` +
          `${state.docked ? ", docked" : ""}${state.activity ? `, ${state.activity}` : ""}, bumps ${state.bumps}`;
      } catch {
        failures++;
        section.querySelector(".rossim-name").textContent = "not reachable";
      }
      setTimeout(tick, Math.min(5000, 300 * (1 + failures)));
    };
    const frame = () => { img.src = `${url}/api/camera.jpg?t=${Date.now()}`; };
    img.onload = () => setTimeout(frame, 400);
    img.onerror = () => setTimeout(frame, 3000);
    tick();
    frame();
  }

  fetch("/ui/config.json").then(r => r.json()).then(config => {
    (config.rossim_urls || []).forEach((url, i) => follow(url, i));
  }).catch(() => {});
})();
