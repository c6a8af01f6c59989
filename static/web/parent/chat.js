// Chats: the list of friends with unread badges, and one chat (history, older pages on scroll
// up, play, hold-to-record or upload, retry without doubling thanks to the msg_id).
import { files, newMessageId } from "/web/common/api.js";
import { canRecord, holdToRecord } from "/web/common/recorder.js";
import { announce, clearError, fill, h, setBusy, when } from "/web/common/ui.js";

const PAGE = 30;

function friendName(friend) {
  return friend.friend_remark || friend.friend_nick || "Friend";
}

function unreadBadge(count, name) {
  return h("span", { class: "badge", hidden: !count, "aria-label": `${count} unread from ${name}` }, count ? String(count) : "");
}

export function renderChats(ctx) {
  const list = h("ul", { class: "list", "aria-label": "Chats" });
  function draw() {
    const { friends, unread } = ctx.state;
    fill(list, ...friends.map((friend) => {
      const count = Number(unread[friend.friend_id]) || 0;
      return h("li", {},
        h("img", { class: "avatar", src: files.image(friend.friend_avatar || "toy.jpg"), alt: "" }),
        h("a", { class: "grow", href: `#/chat/${friend.friend_id}` }, friendName(friend)),
        h("span", { "data-unread-of": friend.friend_id }, unreadBadge(count, friendName(friend))));
    }));
  }
  draw();
  const root = h("section", { "aria-labelledby": "chats-title" },
    h("h2", { id: "chats-title" }, "Chats"),
    ctx.state.friends.length ? list : h("p", {}, "Bind a toy to start talking with it."));
  return { root, onEvent: (name) => (name === "chat" || name === "reconnect") && draw() };
}

export function renderChat(ctx, friendId) {
  const friend = ctx.friend(friendId);
  if (!friend) {
    announce("That chat is not available (the toy may have been unbound).", "error");
    ctx.go("#/chats");
    return null;
  }
  const me = ctx.state.user;
  const name = friendName(friend);
  const messages = new Map(); // _id -> message
  let hasOlder = true;
  let loadingOlder = false;

  const log = h("ol", { class: "messages", role: "log", "aria-live": "polite", "aria-label": `Messages with ${name}`, tabindex: "0" });
  const olderButton = h("button", { type: "button", class: "link" }, "Load older messages");
  const pendingBox = h("div", { class: "stack" });

  function item(message) {
    const mine = message.from_user === me._id;
    const who = mine ? "You" : name;
    const time = when(message.create_time);
    const play = h("button", { type: "button", class: "secondary", "aria-label": `Play message from ${who}, ${time}` }, "▶ Play");
    play.addEventListener("click", () => ctx.player.playNow(files.chat(message.message), `the message from ${who}`));
    return h("li", { class: mine ? "mine" : "", "data-id": message._id },
      h("div", { class: "bubble" }, h("span", {}, h("strong", {}, who), " ", h("time", {}, time)), play));
  }

  // Items are inserted in place (never rebuilt), so the live log announces only new messages.
  function draw({ keepBottom = false, anchor = null } = {}) {
    const sorted = [...messages.values()].sort((a, b) => a.create_time - b.create_time);
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const oldHeight = log.scrollHeight;
    const placeholder = log.querySelector(".empty");
    if (placeholder && sorted.length) placeholder.remove();
    let next = log.firstElementChild;
    for (const message of sorted) {
      const shown = log.querySelector(`li[data-id="${CSS.escape(message._id)}"]`);
      if (shown) {
        next = shown.nextElementSibling;
        continue;
      }
      log.insertBefore(item(message), next);
    }
    if (!sorted.length && !placeholder) log.append(h("li", { class: "hint empty" }, "No messages yet. Hold the button below and speak."));
    olderButton.hidden = !hasOlder;
    if (anchor !== null) log.scrollTop = log.scrollHeight - oldHeight + anchor;
    else if (keepBottom || atBottom) log.scrollTop = log.scrollHeight;
  }

  function merge(page) {
    let added = 0;
    for (const message of page) {
      if (!messages.has(message._id)) added += 1;
      messages.set(message._id, message);
    }
    return added;
  }

  async function loadLatest() {
    const page = await ctx.api.post("/chat_list", { chat_id: friend.friend_chat, from_user: friendId, limit: PAGE });
    if (!messages.size) hasOlder = page.length === PAGE;
    merge(page);
    ctx.state.unread[friendId] = 0;
    ctx.showUnreadTotal();
    draw({ keepBottom: true });
  }

  async function loadOlder() {
    if (!hasOlder || loadingOlder || !messages.size) return;
    loadingOlder = true;
    log.setAttribute("aria-busy", "true"); // older messages are not news: not read out
    const oldest = Math.min(...[...messages.values()].map((m) => m.create_time));
    try {
      const page = await ctx.api.post("/chat_list", { chat_id: friend.friend_chat, from_user: friendId, before: oldest, limit: PAGE });
      hasOlder = page.length === PAGE;
      const anchor = log.scrollTop;
      merge(page);
      draw({ anchor });
      if (page.length) announce(`${page.length} older messages loaded.`);
    } catch (err) {
      announce(err.message, "error");
    } finally {
      loadingOlder = false;
      log.setAttribute("aria-busy", "false");
    }
  }
  olderButton.addEventListener("click", loadOlder);
  log.addEventListener("scroll", () => { if (log.scrollTop < 30) loadOlder(); });

  async function send(blob, msgId = newMessageId()) {
    clearError();
    const note = h("p", { class: "hint" }, "Sending your message…");
    fill(pendingBox, note);
    try {
      await ctx.api.upload("/app_uploader", { to_user: friendId, msg_id: msgId }, "reco_file", blob);
      fill(pendingBox);
      announce(`Message sent to ${name}.`, "ok");
      await loadLatest();
    } catch (err) {
      announce(`Not sent: ${err.message}`, "error");
      const retry = h("button", { type: "button" }, "Retry sending");
      const discard = h("button", { type: "button", class: "secondary" }, "Discard");
      retry.addEventListener("click", () => send(blob, msgId));
      discard.addEventListener("click", () => { fill(pendingBox); clearError(); });
      // A retry reuses msgId: if the first try was stored after all, the server answers it again.
      fill(pendingBox, h("p", { class: "error-text" }, "The message was not sent."),
        err.status === 415 || err.status === 413 ? discard : h("div", { class: "row" }, retry, discard));
    }
  }

  const recordButton = h("button", { type: "button", class: "record", id: "record" }, "● Hold to record");
  holdToRecord(recordButton, {
    onStart: () => announce("Recording… release to send."),
    onBlob: (blob) => send(blob),
    onError: (message) => announce(message, "error"),
  });
  const upload = h("input", { id: "upload-recording", type: "file", accept: "audio/*,.amr,.m4a" });
  upload.addEventListener("change", () => {
    const file = upload.files[0];
    upload.value = "";
    if (file) send(file);
  });

  const root = h("section", { "aria-labelledby": "chat-title" },
    h("div", { class: "row" },
      h("button", { type: "button", class: "link", onclick: () => ctx.go("#/chats") }, "← Back"),
      h("h2", { id: "chat-title", class: "grow" }, `Chat with ${name}`)),
    olderButton, log, pendingBox,
    h("div", { class: "card stack" },
      canRecord() ? recordButton : h("p", { class: "hint" }, "Recording is not available in this browser here (it needs https or localhost): upload a recording instead."),
      h("p", { class: "hint", id: "record-hint" }, "Press and hold (or hold Space) while you speak; let go to send."),
      h("label", { for: "upload-recording" }, "Upload a recording"), upload));
  recordButton.setAttribute("aria-describedby", "record-hint");

  loadLatest().catch((err) => announce(err.message, "error"));
  return {
    root,
    onEvent(event, data) {
      if ((event === "chat" && data.from_user === friendId) || event === "reconnect") {
        loadLatest().catch((err) => announce(err.message, "error"));
      }
    },
  };
}
