// Small DOM helpers shared by the pages.
//   h("button", { class: "primary", onclick }, "Text", child...) -> element (text is never HTML)
//   announce(message, kind)   -> errors in #alert (role=alert), news in #status (role=status)
//                                (the page provides both; see parent/index.html); kind: info|error|ok
//   clearError()              -> hides #alert
//   dismissError()            -> hides #alert and puts focus back where the person was working
//   fill(el, ...children)     -> replaceChildren without the null/false ones
//   setBusy(button, busy)     -> disables a button while a request runs (its focus comes back)
//   focusHeading(root)        -> moves focus to root's first heading (a new view was opened)
//   confirmDialog(question, okLabel) -> Promise<boolean> (a modal <dialog>, keyboard usable)
//   when(epochSeconds)        -> "14:05" today, else "3 Dec 14:05"

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace `el`'s children, skipping null/undefined/false ones. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

let infoTimer = null;

/** Show `message` once: errors in the page's #alert (role=alert, stays until replaced or
 *  dismissed), other news in #status (role=status, fades after a few seconds). */
export function announce(message, kind = "info") {
  const alert = document.getElementById("alert");
  const status = document.getElementById("status");
  if (kind === "error" && alert) {
    alert.querySelector(".text").textContent = message;
    alert.hidden = false;
    return;
  }
  if (!status) return;
  status.textContent = message;
  status.dataset.kind = kind;
  clearTimeout(infoTimer);
  infoTimer = setTimeout(() => { status.textContent = ""; }, 6000);
}

/** Hide the error shown by announce(..., "error"). */
export function clearError() {
  const alert = document.getElementById("alert");
  if (alert) {
    alert.hidden = true;
    alert.querySelector(".text").textContent = "";
  }
}

/** Hide the error and return focus to the last control used before it (if still on screen),
 *  so a keyboard or screen-reader user is not left at the top of the page. */
export function dismissError() {
  clearError();
  const back = lastFocused;
  if (back && back.isConnected && !back.disabled && back.getClientRects().length) back.focus();
  else focusHeading(document.getElementById("app") || document.body);
}

let lastFocused = null;
document.addEventListener("focusin", (event) => {
  if (!event.target.closest || !event.target.closest("#alert, #status")) lastFocused = event.target;
});

/** Disable `button` while a request runs; a disabled button loses the focus, so when it had
 *  the focus and nothing else took it meanwhile, it gets it back when the request ends. */
export function setBusy(button, busy) {
  if (!button) return;
  if (busy) button.dataset.hadFocus = String(document.activeElement === button);
  button.disabled = busy;
  button.setAttribute("aria-busy", busy ? "true" : "false");
  if (!busy && button.dataset.hadFocus === "true") {
    delete button.dataset.hadFocus;
    const active = document.activeElement;
    if ((!active || active === document.body) && button.isConnected) button.focus();
  }
}

/** Move focus to the first heading of `root` (made focusable by script only). */
export function focusHeading(root) {
  const heading = root && root.querySelector("h1, h2");
  if (!heading) return;
  if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
  heading.focus();
}

export function confirmDialog(question, okLabel = "OK") {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-question" },
      h("p", { id: "confirm-question" }, question),
      h("div", { class: "row" },
        h("button", { type: "button", value: "cancel", class: "secondary" }, "Cancel"),
        h("button", { type: "button", value: "ok", class: "danger" }, okLabel)));
    // The page behind is hidden from assistive tech (and role queries) while the dialog is open.
    const behind = [...document.body.children].filter((el) => el.getAttribute("aria-hidden") !== "true");
    const done = (answer) => {
      behind.forEach((el) => el.removeAttribute("aria-hidden"));
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    dialog.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => done(b.value === "ok")));
    document.body.append(dialog);
    behind.forEach((el) => el.setAttribute("aria-hidden", "true"));
    dialog.showModal();
    dialog.querySelector("button[value=cancel]").focus();
  });
}

export function when(epochSeconds) {
  const date = new Date(Number(epochSeconds) * 1000);
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${date.toLocaleDateString([], { day: "numeric", month: "short" })} ${time}`;
}
