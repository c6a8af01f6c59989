// Device control for a toy with Lovense hardware linked: link QR, status, a slider per function
// of each Lovense toy (/toy_control Function), presets, and a Stop button that is always shown.
import { announce, clearError, fill, h, setBusy } from "/web/common/ui.js";

// What each Lovense model can do (Function names and their maximum level), by model name; the
// app's own function list (shortFunctionNames / fullFunctionNames from GetToys) wins when given.
const LEVELS = { Vibrate: 20, Rotate: 20, Pump: 3, Thrusting: 20, Fingering: 20, Suction: 20, Depth: 3, Oscillate: 20 };
const SHORT = { v: "Vibrate", r: "Rotate", p: "Pump", t: "Thrusting", f: "Fingering", s: "Suction", d: "Depth", o: "Oscillate" };
const MODELS = {
  nora: ["Vibrate", "Rotate"], max: ["Vibrate", "Pump"], solace: ["Thrusting", "Depth"],
  gravity: ["Vibrate", "Thrusting"], flexer: ["Vibrate", "Fingering"], tenera: ["Suction"],
  osci: ["Oscillate"], ridge: ["Vibrate", "Rotate"],
};
const PRESETS = ["pulse", "wave", "fireworks", "earthquake"];

export function functionsOf(device) {
  const full = device.fullFunctionNames || device.shortFunctionNames;
  if (Array.isArray(full) && full.length) {
    const names = full.map((n) => SHORT[String(n).toLowerCase()] || String(n)).map((n) => n[0].toUpperCase() + n.slice(1));
    const known = names.filter((n) => LEVELS[n]);
    if (known.length) return [...new Set(known)];
  }
  const model = String(device.name || "").toLowerCase().replace(/[^a-z]/g, "");
  return MODELS[model] || ["Vibrate"];
}

function devicesOf(toy) {
  const toys = (toy.lovense && toy.lovense.toys) || {};
  return Object.entries(toys).map(([id, device]) => ({ id, ...device }));
}

export function renderControl(ctx, toyId) {
  const toy = ctx.toy(toyId);
  if (!toy) {
    announce("That toy is not bound to you (any more).", "error");
    ctx.go("#/toys");
    return null;
  }
  const statusBox = h("div");
  const devicesBox = h("div");
  const linkBox = h("div", { class: "stack" });
  const timers = new Map();

  async function command(fields, quiet = false) {
    clearError();
    try {
      const result = await ctx.api.post("/toy_control", { toy_id: toy._id, ...fields });
      if (!quiet) announce(`Done (${result.transport}).`, "ok");
      return result;
    } catch (err) {
      announce(err.message, "error");
      return null;
    }
  }

  function slider(device, fn) {
    const id = `level-${device.id}-${fn}`;
    const output = h("output", { for: id }, "0");
    const input = h("input", { id, type: "range", min: 0, max: LEVELS[fn], step: 1, value: 0 });
    input.addEventListener("input", () => {
      output.textContent = input.value;
      clearTimeout(timers.get(id));
      // Lovense spaces commands per toy; send the level the finger rests on, not every step.
      timers.set(id, setTimeout(() => command({ command: "Function", action: `${fn}:${input.value}`, timeSec: 0, toy: device.id }, true), 250));
    });
    return h("div", {}, h("label", { for: id }, `${fn} level for ${device.nickName || device.name || "toy"}`),
      h("div", { class: "row" }, h("span", { class: "grow" }, input), output));
  }

  function drawStatus() {
    const link = toy.lovense;
    const devices = devicesOf(toy);
    if (!link) {
      fill(statusBox, h("p", {}, "No Lovense device is linked to this toy yet. Link one below."));
    } else {
      const updated = link.updated_at ? new Date(Number(link.updated_at) * 1000).toLocaleString() : "unknown";
      fill(statusBox,
        h("p", {}, `Linked through Lovense Remote${link.platform ? ` (${link.platform})` : ""}. Last heard from: ${updated}.`),
        devices.length ? h("ul", { class: "list", "aria-label": "Lovense toys" }, devices.map((d) => h("li", {},
          h("strong", { class: "grow" }, d.nickName || d.name || d.id),
          h("span", { class: `pill ${String(d.status) === "1" ? "online" : "offline"}` }, String(d.status) === "1" ? "Connected" : "Not connected"),
          d.battery !== undefined && d.battery !== null ? h("span", {}, `Battery ${d.battery}%`) : null)))
          : h("p", { class: "hint" }, "The Lovense app reports no toy yet."));
    }
    fill(devicesBox, ...(devices.length
      ? devices.map((device) => h("fieldset", {}, h("legend", {}, device.nickName || device.name || device.id),
        ...functionsOf(device).map((fn) => slider(device, fn))))
      : [h("p", { class: "hint" }, "Sliders appear when a linked Lovense toy is connected.")]));
  }

  const linkButton = h("button", { type: "button" }, "Link a Lovense device");
  linkButton.addEventListener("click", async () => {
    clearError();
    setBusy(linkButton, true);
    try {
      const data = await ctx.api.post("/lovense/qr", { toy_id: toy._id });
      fill(linkBox,
        h("p", {}, "Scan this QR code with the Lovense Remote app (it expires after 4 hours)."),
        h("img", { class: "qr", src: data.qr, alt: "Lovense link QR code", referrerpolicy: "no-referrer" }),
        data.code ? h("p", {}, "Or enter this code in Lovense PC Remote: ", h("strong", {}, data.code)) : null);
    } catch (err) {
      announce(`Linking is not available: ${err.message}`, "error");
    } finally {
      setBusy(linkButton, false);
    }
  });

  const presets = h("div", { class: "row", role: "group", "aria-label": "Presets" }, PRESETS.map((name) => {
    const button = h("button", { type: "button", class: "secondary" }, name[0].toUpperCase() + name.slice(1));
    button.addEventListener("click", () => command({ command: "Preset", name, timeSec: 0 }));
    return button;
  }));

  const stop = h("button", { type: "button", class: "danger", id: "stop-all" }, "■ Stop");
  stop.addEventListener("click", async () => {
    for (const input of devicesBox.querySelectorAll("input[type=range]")) {
      input.value = 0;
      input.nextElementSibling && (input.nextElementSibling.textContent = "0");
    }
    for (const output of devicesBox.querySelectorAll("output")) output.textContent = "0";
    timers.forEach((t) => clearTimeout(t));
    if (await command({ command: "Function", action: "Stop", timeSec: 0 }, true)) announce("Stopped.", "ok");
  });

  drawStatus();
  const root = h("section", { "aria-labelledby": "control-title" },
    h("div", { class: "row" },
      h("button", { type: "button", class: "link", onclick: () => ctx.go(`#/toy/${toy._id}`) }, `← ${toy.toy_name}`),
      h("h2", { id: "control-title", class: "grow" }, `Device control – ${toy.toy_name}`)),
    h("div", { class: "stop-bar" }, stop),
    h("section", { class: "card" },
      h("h3", { id: "lovense-status-title" }, "Status"), statusBox),
    h("section", { class: "card" },
      h("h3", { id: "levels-title" }, "Levels"), devicesBox),
    h("section", { class: "card" },
      h("h3", { id: "presets-title" }, "Presets"), presets),
    h("section", { class: "card" },
      h("h3", { id: "link-title" }, "Link"), linkButton, linkBox));
  return {
    root,
    dispose: () => timers.forEach((t) => clearTimeout(t)),
    onEvent(name, data) {
      if ((name === "lovense" && data.toy_id === toy._id) || name === "reconnect") {
        const fresh = ctx.toy(toy._id);
        if (fresh && fresh !== toy) Object.assign(toy, fresh);
        drawStatus();
      }
      if (name === "unbound" && data.toy_id === toy._id) ctx.go("#/toys");
    },
  };
}
