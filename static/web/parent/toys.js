// My toys: the list, binding a toy (camera, photo or typed key), and one toy's page (details,
// friend code, friends and requests, unbind).
import { files } from "/web/common/api.js";
import { announce, clearError, fill, confirmDialog, h, setBusy } from "/web/common/ui.js";
import { cameraScanner, decodePhoto, keyFrom, qrImage } from "./scan.js";

export function onlinePill(ctx, toyId) {
  const online = ctx.state.online[toyId];
  const text = online === undefined ? "Offline" : online ? "Online" : "Offline";
  return h("span", { class: `pill ${online ? "online" : "offline"}`, "data-online-of": toyId }, text);
}

export function renderToys(ctx) {
  const { toys } = ctx.state;
  const list = h("ul", { class: "list", "aria-label": "My toys" },
    toys.map((toy) => h("li", {},
      h("img", { class: "avatar", src: files.image(toy.avatar || "toy.jpg"), alt: "" }),
      h("div", { class: "grow" },
        h("a", { href: `#/toy/${toy._id}` }, toy.toy_name),
        h("div", { class: "hint" }, `${toy.baby_name}'s toy`)),
      onlinePill(ctx, toy._id))));
  const root = h("section", { "aria-labelledby": "toys-title" },
    h("h2", { id: "toys-title" }, "My toys"),
    toys.length ? list : h("p", {}, "No toy yet. Bind your child's toy with its QR code or its key."),
    h("button", { type: "button", onclick: () => ctx.go("#/bind") }, "Bind a toy"));
  return {
    root,
    onEvent(name) {
      if (name === "unbound" || name === "reconnect") ctx.render();
    },
  };
}

const SCAN_CODES = {
  1: "Unknown key: this is not the QR code of a licensed toy. Check the key and try again.",
  2: "This toy is already bound to a family. Its owner has to unbind it first.",
};

export function renderBind(ctx) {
  const scanner = cameraScanner("Camera view: point it at the toy's QR code");
  const keyInput = h("input", { id: "device-key", name: "device_key", required: true, autocomplete: "off",
    autocapitalize: "none", spellcheck: "false", "aria-describedby": "key-hint" });
  const keyState = h("p", { class: "hint", id: "key-state" });
  const photo = h("input", { id: "qr-photo", type: "file", accept: "image/*" });
  const form = h("form", { class: "card stack", "aria-labelledby": "bind-title" },
    h("h2", { id: "bind-title" }, "Bind a toy"),
    h("p", { class: "hint" }, "Scan the QR code on the toy (or its box), pick a photo of it, or type the key printed under it."),
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", id: "scan-camera", onclick: () => scan() }, "Scan with camera")),
    scanner.element,
    h("label", { for: "qr-photo" }, "Photo of the QR code"),
    photo,
    h("label", { for: "device-key" }, "Device key"),
    keyInput,
    h("p", { class: "hint", id: "key-hint" }, "32 letters and digits, from the QR code's label."),
    keyState,
    h("label", { for: "toy-name" }, "Toy name"),
    h("input", { id: "toy-name", name: "toy_name", required: true, maxlength: 64, placeholder: "Teddy" }),
    h("label", { for: "baby-name" }, "Child's name (baby name)"),
    h("input", { id: "baby-name", name: "baby_name", required: true, maxlength: 64 }),
    h("label", { for: "remark" }, "What the toy calls you"),
    h("input", { id: "remark", name: "remark", maxlength: 64, placeholder: ctx.state.user.nickname }),
    h("div", { class: "row" },
      h("button", { type: "submit" }, "Bind toy"),
      h("button", { type: "button", class: "secondary", onclick: () => ctx.go("#/toys") }, "Cancel")));

  async function check(key) {
    keyState.textContent = "";
    try {
      await ctx.api.post("/scan_qr", { device_key: key });
      keyInput.removeAttribute("aria-invalid");
      keyState.textContent = "Key recognised: this toy can be bound.";
      keyState.className = "ok-text";
      return true;
    } catch (err) {
      announce(SCAN_CODES[err.code] || err.message, "error"); // once, in the page's alert
      keyInput.setAttribute("aria-invalid", "true");
      return false;
    }
  }

  async function found(text) {
    keyInput.value = keyFrom(text);
    if (await check(keyInput.value)) form.querySelector("#toy-name").focus();
  }

  async function scan() {
    clearError();
    try {
      await found(await scanner.start());
    } catch (err) {
      if (err.message !== "Scanning stopped.") announce(err.message, "error");
    }
  }

  photo.addEventListener("change", async () => {
    clearError();
    try {
      await found(await decodePhoto(photo.files[0]));
    } catch (err) {
      announce(err.message, "error");
    } finally {
      photo.value = "";
    }
  });
  keyInput.addEventListener("change", () => { keyState.textContent = ""; });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();
    const button = form.querySelector("button[type=submit]");
    const key = keyFrom(keyInput.value);
    keyInput.value = key;
    setBusy(button, true);
    try {
      if (!(await check(key))) return;
      const fields = { device_key: key, toy_name: form.toy_name.value.trim(), baby_name: form.baby_name.value.trim() };
      if (form.remark.value.trim()) fields.remark = form.remark.value.trim();
      await ctx.api.post("/bind_toy", fields);
      await ctx.refresh();
      announce(`${fields.toy_name} is bound. Switch the toy on to start.`, "ok");
      const toy = ctx.state.toys.find((t) => t.device_key === key);
      ctx.go(toy ? `#/toy/${toy._id}` : "#/toys");
    } catch (err) {
      announce(err.message, "error");
    } finally {
      setBusy(button, false);
    }
  });
  return { root: form, dispose: () => scanner.stop() };
}

const REQUEST_STATUS = { 0: "waiting for your answer", 1: "accepted", 2: "refused" };

export function renderToy(ctx, toyId) {
  const toy = ctx.toy(toyId);
  if (!toy) {
    announce("That toy is not bound to you (any more).", "error");
    ctx.go("#/toys");
    return null;
  }
  const me = ctx.state.user;
  const requestsBox = h("div");
  const friendsBox = h("div");
  const scanner = cameraScanner("Camera view: point it at the friend's QR code");

  function drawFriends() {
    const friends = (toy.friend_list || []).filter((f) => f.friend_id !== me._id);
    fill(friendsBox,
      h("h3", { id: "friends-title" }, "Friends"),
      friends.length
        ? h("ul", { class: "list", "aria-labelledby": "friends-title" }, friends.map((f) => h("li", {},
          h("img", { class: "avatar", src: files.image(f.friend_avatar || "toy.jpg"), alt: "" }),
          h("span", { class: "grow" }, f.friend_remark || f.friend_nick,
            f.friend_remark && f.friend_nick && f.friend_remark !== f.friend_nick ? ` (${f.friend_nick})` : ""))))
        : h("p", { class: "hint" }, "No friends yet. Share the friend code, or add a friend with theirs."));
  }

  function drawRequests() {
    const mine = ctx.state.requests.filter((r) => r.add_user === toy._id);
    const pending = mine.filter((r) => Number(r.status) === 0);
    const answered = mine.filter((r) => Number(r.status) !== 0);
    fill(requestsBox,
      h("h3", { id: "requests-title" }, "Friend requests"),
      pending.length ? h("ul", { class: "list", "aria-labelledby": "requests-title" }, pending.map(requestItem))
        : h("p", { class: "hint" }, "No request waiting."),
      answered.length ? h("details", {}, h("summary", {}, `Answered requests (${answered.length})`),
        h("ul", { class: "list" }, answered.map((r) => h("li", {},
          `${r.nickname || "Someone"}: ${REQUEST_STATUS[r.status] || "answered"}`)))) : null);
  }

  function requestItem(request) {
    const who = request.nickname || "Someone";
    const remark = h("input", { id: `remark-${request._id}`, maxlength: 64, placeholder: who });
    const answer = async (path, button, fields, done) => {
      clearError();
      setBusy(button, true);
      try {
        await ctx.api.post(path, { req_id: request._id, ...fields });
        await ctx.refresh();
        announce(done, "ok");
        ctx.render();
      } catch (err) {
        announce(err.message, "error");
        setBusy(button, false);
      }
    };
    const accept = h("button", { type: "button", "aria-label": `Accept the request from ${who}` }, "Accept");
    const refuse = h("button", { type: "button", class: "secondary", "aria-label": `Refuse the request from ${who}` }, "Refuse");
    accept.addEventListener("click", () => answer("/acc_req", accept,
      remark.value.trim() ? { remark: remark.value.trim() } : {}, `${who} is now ${toy.toy_name}'s friend.`));
    refuse.addEventListener("click", () => answer("/ref_req", refuse, {}, `Request from ${who} refused.`));
    return h("li", { class: "stack" },
      h("div", { class: "grow" }, h("strong", {}, who), request.req_info ? ` says: “${request.req_info}”` : " wants to be friends."),
      h("label", { for: `remark-${request._id}` }, `Name ${toy.toy_name} will use for ${who}`), remark,
      h("div", { class: "row" }, accept, refuse));
  }

  const codeInput = h("input", { id: "friend-code", name: "friend_code", required: true, autocomplete: "off",
    autocapitalize: "none", spellcheck: "false" });
  const addForm = h("form", { class: "stack", "aria-labelledby": "add-friend-title" },
    h("h3", { id: "add-friend-title" }, "Add a friend"),
    h("p", { class: "hint" }, "Ask the other family for their toy's friend code: type or paste it, or scan its QR code."),
    h("label", { for: "friend-code" }, "Friend code"), codeInput,
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", onclick: () => scanFriend() }, "Scan friend's QR code")),
    scanner.element,
    h("label", { for: "friend-name" }, "Name for this friend (optional)"),
    h("input", { id: "friend-name", maxlength: 64 }),
    h("label", { for: "friend-message" }, "Message (optional)"),
    h("input", { id: "friend-message", maxlength: 200 }),
    h("button", { type: "submit" }, "Send friend request"));

  async function scanFriend() {
    clearError();
    try {
      codeInput.value = keyFrom(await scanner.start());
      announce("Friend code scanned. Send the request when ready.");
    } catch (err) {
      if (err.message !== "Scanning stopped.") announce(err.message, "error");
    }
  }

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();
    const code = codeInput.value.trim();
    const button = addForm.querySelector("button[type=submit]");
    if (code === toy._id) {
      announce("That is this toy's own friend code: use the code of the other family's toy.", "error");
      return;
    }
    const fields = { add_user: code, req_user: toy._id, type: "toy" };
    const name = addForm.querySelector("#friend-name").value.trim();
    const message = addForm.querySelector("#friend-message").value.trim();
    if (name) fields.remark = name;
    if (message) fields.req_info = message;
    setBusy(button, true);
    try {
      await ctx.api.post("/add_req", fields);
      addForm.reset();
      announce("Friend request sent. The other family has to accept it.", "ok");
    } catch (err) {
      announce(err.status === 404 ? "No toy has that friend code. Check it and try again." : err.message, "error");
    } finally {
      setBusy(button, false);
    }
  });

  const copyButton = h("button", { type: "button", class: "secondary" }, "Copy friend code");
  copyButton.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(toy._id);
      announce("Friend code copied.", "ok");
    } catch {
      announce("Copying is not allowed here: select the code and copy it by hand.", "error");
    }
  });

  const unbindButton = h("button", { type: "button", class: "danger" }, `Unbind ${toy.toy_name}`);
  unbindButton.addEventListener("click", async () => {
    const sure = await confirmDialog(`Unbind ${toy.toy_name}? Its friends and settings are removed and the toy ` +
      "has to be bound again before it can be used.", "Yes, unbind");
    if (!sure) return;
    setBusy(unbindButton, true);
    try {
      await ctx.api.post("/unbind_toy", { toy_id: toy._id });
      await ctx.refresh();
      announce(`${toy.toy_name} is unbound.`, "ok");
      ctx.go("#/toys");
    } catch (err) {
      announce(err.message, "error");
      setBusy(unbindButton, false);
    }
  });

  const myEntry = (toy.friend_list || []).find((f) => f.friend_id === me._id);
  drawFriends();
  drawRequests();
  const root = h("section", { "aria-labelledby": "toy-title" },
    h("div", { class: "row" }, h("h2", { id: "toy-title", class: "grow" }, toy.toy_name), onlinePill(ctx, toy._id)),
    h("div", { class: "card" },
      h("dl", {},
        h("dt", {}, "Child"), h("dd", {}, toy.baby_name),
        h("dt", {}, "The toy calls you"), h("dd", {}, (myEntry && myEntry.friend_remark) || me.nickname)),
      h("div", { class: "row" },
        h("button", { type: "button", onclick: () => ctx.go(`#/chat/${toy._id}`) }, `Talk to ${toy.toy_name}`),
        h("button", { type: "button", class: "secondary", onclick: () => ctx.go(`#/songs?toy=${toy._id}`) }, "Send a song"),
        h("button", { type: "button", class: "secondary", onclick: () => ctx.go(`#/control/${toy._id}`) }, "Device control"))),
    h("section", { class: "card" },
      h("h3", { id: "code-title" }, "Friend code"),
      h("p", { class: "hint" }, `Give this code to another family so their toy can become ${toy.toy_name}'s friend.`),
      h("p", {}, h("code", { id: "friend-code-text" }, toy._id)),
      qrImage(toy._id, `QR code of ${toy.toy_name}'s friend code`),
      h("div", { class: "row" }, copyButton)),
    h("section", { class: "card" }, friendsBox),
    h("section", { class: "card" }, requestsBox, addForm),
    h("section", { class: "card" },
      h("h3", { id: "unbind-title" }, "Unbind"),
      h("p", { class: "hint" }, "For a toy you give away or reset. Messages already sent stay with their receivers."),
      unbindButton));
  ctx.refresh().then(() => {
    const fresh = ctx.toy(toyId);
    if (!fresh) return;
    Object.assign(toy, fresh);
    drawFriends();
    drawRequests();
  }).catch((err) => announce(err.message, "error"));
  return {
    root,
    dispose: () => scanner.stop(),
    onEvent(name, data) {
      if (name === "friend_request") drawRequests();
      if (name === "unbound" && data.toy_id === toy._id) {
        announce(`${toy.toy_name} was unbound.`, "error");
        ctx.go("#/toys");
      }
      if (name === "reconnect") ctx.render();
    },
  };
}
