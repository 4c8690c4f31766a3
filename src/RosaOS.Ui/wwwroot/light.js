// rosaOS browser UI: the smart lights (`rosa kasa`). One lamp per driver that offers get_light_status, drawn in the
// light's colour (hue/saturation, or the white of its colour temperature) and brightness, grey when off. Read only:
// the state comes from the kernel's GET /api/drivers/{name}/light; changes go through tools like any other call.
// It refreshes when a tool call on that driver is reported on the page's one event stream, and every 5 s for changes
// made elsewhere (the Kasa app, the wall switch).
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const lamps = new Map(); // driver name -> { section, pending }

  // HSV (h 0-360, s and v 0-1) to [r, g, b] 0-255.
  function hsvToRgb(h, s, v) {
    const f = n => { const k = (n + h / 60) % 6; return v - v * s * Math.max(0, Math.min(k, 4 - k, 1)); };
    return [f(5), f(3), f(1)].map(x => Math.round(x * 255));
  }

  // A colour temperature (K) to the RGB of that white (the usual black-body approximation).
  function kelvinToRgb(kelvin) {
    const t = kelvin / 100;
    const clamp = x => Math.round(Math.max(0, Math.min(255, x)));
    const r = t <= 66 ? 255 : 329.698727446 * Math.pow(t - 60, -0.1332047592);
    const g = t <= 66 ? 99.4708025861 * Math.log(t) - 161.1195681661 : 288.1221695283 * Math.pow(t - 60, -0.0755148492);
    const b = t >= 66 ? 255 : t <= 19 ? 0 : 138.5177312231 * Math.log(t - 10) - 305.0447927307;
    return [clamp(r), clamp(g), clamp(b)];
  }

  // What the lamp looks like: the light's colour, dimmed with its brightness (never below a visible glow).
  function lampColour(light) {
    if (!light.on) return [120, 124, 130];
    const base = light.color_temp > 0 ? kelvinToRgb(light.color_temp) : hsvToRgb(light.hue, light.saturation / 100, 1);
    const scale = 0.35 + 0.65 * Math.max(0, Math.min(100, light.brightness)) / 100;
    return base.map(c => Math.round(c * scale));
  }

  function panel(name) {
    const section = document.createElement("section");
    section.className = "panel light-panel";
    section.dataset.driver = name;
    section.innerHTML = `<h2>Light <small class="light-name"></small></h2>
      <svg class="lamp" viewBox="-60 -70 120 150" role="img">
        <circle class="lamp-glow" cx="0" cy="-10" r="52"/>
        <circle class="lamp-bulb" cx="0" cy="-10" r="34"/>
        <rect class="lamp-socket" x="-16" y="24" width="32" height="26" rx="4"/>
        <line class="lamp-thread" x1="-16" y1="32" x2="16" y2="32"/><line class="lamp-thread" x1="-16" y1="41" x2="16" y2="41"/>
      </svg>
      <p class="light-readout muted">reading…</p>`;
    section.querySelector(".light-name").textContent = name;
    section.querySelector(".lamp").setAttribute("aria-label", `${name}: reading`);
    const anchor = document.getElementById("process-panel");
    anchor ? anchor.parentNode.insertBefore(section, anchor) : document.querySelector("main")?.appendChild(section);
    return section;
  }

  function draw(section, light) {
    const [r, g, b] = lampColour(light);
    const rgb = `rgb(${r}, ${g}, ${b})`;
    const bulb = section.querySelector(".lamp-bulb");
    bulb.setAttribute("fill", rgb);
    const glow = section.querySelector(".lamp-glow");
    glow.setAttribute("fill", rgb);
    glow.setAttribute("fill-opacity", light.on ? (0.15 + 0.35 * light.brightness / 100).toFixed(2) : "0");
    Object.assign(section.dataset, {
      on: String(!!light.on), hue: String(light.hue), saturation: String(light.saturation),
      colorTemp: String(light.color_temp), brightness: String(light.brightness), rgb: `${r},${g},${b}`,
    });
    const what = !light.on ? "off" : light.color_temp > 0 ? `white ${light.color_temp} K` : `hue ${light.hue}°, saturation ${light.saturation}%`;
    const text = `${light.on ? "On" : "Off"}${light.on ? `, ${what}, brightness ${light.brightness}%` : ` (comes back ${light.color_temp > 0 ? `white ${light.color_temp} K` : `hue ${light.hue}°`} at ${light.brightness}%)`}`;
    section.querySelector(".light-readout").textContent = text;
    section.querySelector(".light-readout").className = "light-readout";
    section.querySelector(".lamp").setAttribute("aria-label", `${section.dataset.driver}: ${text}`);
  }

  async function refresh(name) {
    const lamp = lamps.get(name);
    if (!lamp || lamp.pending) { if (lamp) lamp.again = true; return; }
    lamp.pending = true;
    try {
      const response = await fetch(`/api/drivers/${encodeURIComponent(name)}/light`, { cache: "no-store" });
      const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
      if (response.ok) draw(lamp.section, body);
      else {
        lamp.section.dataset.on = "unknown";
        const readout = lamp.section.querySelector(".light-readout");
        readout.textContent = `Cannot read the light: ${body.error ?? response.status}`;
        readout.className = "light-readout muted";
      }
    } catch (e) {
      lamp.section.querySelector(".light-readout").textContent = `Cannot read the light: ${e.message}`;
    } finally {
      lamp.pending = false;
      if (lamp.again) { lamp.again = false; refresh(name); }
    }
  }

  async function findLights() {
    let drivers = [];
    try {
      const response = await fetch("/api/drivers");
      const body = await response.json();
      drivers = Array.isArray(body) ? body : body.drivers || [];
    } catch { /* the kernel is restarting: try again below */ }
    for (const d of drivers) {
      if (d.enabled === false || lamps.has(d.name) || !(d.tools || []).some(t => t.name === "get_light_status")) continue;
      lamps.set(d.name, { section: panel(d.name), pending: false, again: false });
      refresh(d.name);
    }
    // A light driver that was down when the page opened appears once it answers.
    if (lamps.size === 0) setTimeout(findLights, 15000);
  }

  // A tool call on a light driver (by a worker, manual control, another page) changes what to draw: read it at once.
  window.rosaEvents?.addEventListener("tool_call", ev => {
    let e = {};
    try { e = JSON.parse(ev.data); } catch { return; }
    const name = e.server ?? e.driver;
    if (lamps.has(name)) refresh(name);
  });
  setInterval(() => { for (const name of lamps.keys()) refresh(name); }, 5000);
  findLights();
})();
