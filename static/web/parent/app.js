// The parent app: session, state, routing (#/toys, #/toy/<id>, #/bind, #/chats, #/chat/<id>,
// #/songs, #/control/<id>) and the live events that keep the state current.
import { Api } from "/web/common/api.js";
import { connectLive } from "/web/common/socket.js";
import { AudioQueue } from "/web/common/player.js";
import { announce, clearError, dismissError, focusHeading } from "/web/common/ui.js";
import { renderAuth } from "./auth.js";
import { renderToys, renderToy, renderBind } from "./toys.js";
import { renderChats, renderChat } from "./chat.js";
import { renderSongs } from "./songs.js";
import { renderControl } from "./control.js";

const app = document.getElementById("app");
const state = { user: null, toys: [], friends: [], unread: {}, requests: [], online: {}, songs: null };
const ctx = {
  state,
  api: new Api({ tokenKey: "smarttoy.parent.token", onUnauthorized: () => expired() }),
  live: null,
  view: null, // the current view's { onEvent(name, data), dispose() }
  player: new AudioQueue({
    onError: (message) => announce(message, "error"),
    onChange: (s) => showPlayer(s),
  }),
  go: (route) => { if (location.hash === route) render(); else location.hash = route; },
  render: () => render(),
  refresh: () => refresh(),
  loggedIn: (data) => loggedIn(data),
  toy: (id) => state.toys.find((t) => t._id === id),
  friend: (id) => state.friends.find((f) => f.friend_id === id),
};

const ROUTES = [
  [/^#\/toys$/, () => renderToys(ctx)],
  [/^#\/bind$/, () => renderBind(ctx)],
  [/^#\/toy\/([\w-]+)$/, (id) => renderToy(ctx, id)],
  [/^#\/chats$/, () => renderChats(ctx)],
  [/^#\/chat\/([\w-]+)$/, (id) => renderChat(ctx, id)],
  [/^#\/songs(?:\?toy=([\w-]+))?$/, (id) => renderSongs(ctx, id)],
  [/^#\/control\/([\w-]+)$/, (id) => renderControl(ctx, id)],
];

const TAB_OF = { "#/toys": "#/toy", "#/chats": "#/chat", "#/songs": "#/songs" };

/** Show the view of the current route; `focus`: the person navigated, so focus goes to the new
 *  view's heading (a live update re-rendering the view leaves the focus alone). */
function render(focus = false) {
  if (ctx.view && ctx.view.dispose) ctx.view.dispose();
  ctx.view = null;
  const loggedIn = Boolean(state.user);
  document.getElementById("tabs").hidden = !loggedIn;
  document.getElementById("logout").hidden = !loggedIn;
  app.replaceChildren();
  if (!loggedIn) {
    ctx.view = renderAuth(ctx, app);
    return;
  }
  const hash = location.hash || "#/toys";
  for (const button of document.querySelectorAll("#tabs button")) {
    const current = hash.startsWith(TAB_OF[button.dataset.route]) || (button.dataset.route === "#/toys" &&
      (hash.startsWith("#/bind") || hash.startsWith("#/control")));
    if (current) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  for (const [pattern, view] of ROUTES) {
    const match = hash.match(pattern);
    if (match) {
      ctx.view = view(match[1]) || null;
      if (ctx.view && ctx.view.root) app.append(ctx.view.root);
      if (focus) focusHeading(app);
      return;
    }
  }
  ctx.go("#/toys");
}

function showPlayer(playerState) {
  document.getElementById("player-bar").hidden = !playerState.playing;
  document.getElementById("now-playing").textContent = playerState.playing ? `Playing ${playerState.playing}` : "";
}

function showUnreadTotal() {
  const total = Object.values(state.unread).reduce((a, b) => a + (Number(b) || 0), 0);
  const badge = document.getElementById("unread-total");
  badge.hidden = total === 0;
  badge.textContent = total ? String(total) : "";
  badge.setAttribute("aria-label", `${total} unread`);
}
ctx.showUnreadTotal = showUnreadTotal;

async function refresh() {
  const [me, toys, friends, requests] = await Promise.all([
    ctx.api.post("/auto_login"), ctx.api.post("/toy_list"), ctx.api.post("/friend_list"), ctx.api.post("/req_list"),
  ]);
  const { chat = {}, ...user } = me;
  state.user = user;
  state.unread = Object.fromEntries(Object.entries(chat).filter(([k]) => k !== "count"));
  state.toys = toys;
  state.online = Object.fromEntries(toys.map((t) => [t._id, Boolean(t.online)]));
  for (const toy of toys) showOnline(toy._id);
  state.friends = friends;
  state.requests = requests;
  showUnreadTotal();
}

async function loggedIn(login) {
  ctx.api.setToken(login.token);
  await refresh();
  connect();
  if (!location.hash || location.hash === "#/") location.hash = "#/toys";
  render(true);
}

function setConnection(text, kind) {
  const pill = document.getElementById("connection");
  pill.hidden = false;
  pill.textContent = text;
  pill.className = `pill ${kind}`;
}

function connect() {
  if (ctx.live) ctx.live.close();
  ctx.live = connectLive({
    token: ctx.api.token,
    on: {
      chat: (m) => onChat(m),
      toy_status: (s) => onToyStatus(s),
      friend_request: (r) => onFriendRequest(r),
      lovense: (info) => onLovense(info),
    },
    onState: (s) => setConnection(s === "online" ? "Live" : s === "connecting" ? "Connecting…" : "Reconnecting…",
      s === "online" ? "online" : "offline"),
    // A toy that came online (or a message that came in) after refresh() but before this
    // socket joined its room was pushed to nobody: read the live state once more. A failure
    // says nothing: the page still shows the first fetch, and a reconnect refreshes again.
    onConnected: () => refresh().catch(() => {}),
    onReconnect: async () => {
      try {
        await refresh();
        announce("Reconnected to the server; everything is up to date.", "ok");
        if (ctx.view && ctx.view.onEvent) ctx.view.onEvent("reconnect", {});
        else render();
      } catch (err) {
        announce(err.message, "error");
      }
    },
    onRefused: (message) => announce(`Live updates are off: ${message}.`, "error"),
  });
}

function notifyView(name, data) {
  if (ctx.view && ctx.view.onEvent) ctx.view.onEvent(name, data);
}

function nameOf(id) {
  const friend = ctx.friend(id);
  if (friend) return friend.friend_remark || friend.friend_nick;
  const toy = ctx.toy(id);
  return toy ? toy.toy_name : "a friend";
}

function onChat(message) {
  state.unread[message.from_user] = Number(message.unread) || 0;
  showUnreadTotal();
  announce(`New message from ${nameOf(message.from_user)}.`);
  notifyView("chat", message);
}

function onToyStatus(status) {
  if (status.unbound) {
    state.toys = state.toys.filter((t) => t._id !== status.toy_id);
    notifyView("unbound", status);
    return;
  }
  state.online[status.toy_id] = Boolean(status.online);
  showOnline(status.toy_id);
  const toy = ctx.toy(status.toy_id);
  if (toy) announce(`${toy.toy_name} is ${status.online ? "online" : "offline"}.`);
  notifyView("toy_status", status);
}

/** Update every Online/Offline pill of the toy already on screen. */
function showOnline(toyId) {
  const online = Boolean(state.online[toyId]);
  for (const pill of document.querySelectorAll(`[data-online-of="${toyId}"]`)) {
    pill.textContent = online ? "Online" : "Offline";
    pill.className = `pill ${online ? "online" : "offline"}`;
  }
}

async function onFriendRequest(request) {
  try {
    state.requests = await ctx.api.post("/req_list");
  } catch (err) {
    announce(err.message, "error");
    return;
  }
  const toy = ctx.toy(request.add_user);
  announce(`New friend request${toy ? ` for ${toy.toy_name}` : ""} from ${request.nickname || "someone"}.`);
  notifyView("friend_request", request);
}

function onLovense(info) {
  const toy = ctx.toy(info.toy_id);
  if (toy) {
    const { toy_id: _ignored, ...rest } = info;
    toy.lovense = { ...(toy.lovense || {}), ...rest };
  }
  notifyView("lovense", info);
}

function expired() {
  if (!state.user) return null; // e.g. a wrong password: the server's words stand
  const message = "Your session has ended. Please log in again.";
  logout(false);
  announce(message, "error");
  return message;
}

async function logout(callServer = true) {
  if (callServer) {
    try {
      await ctx.api.post("/logout");
    } catch {
      // the token is forgotten below either way
    }
  }
  if (ctx.live) ctx.live.close();
  ctx.live = null;
  ctx.player.stop();
  ctx.api.setToken(null);
  Object.assign(state, { user: null, toys: [], friends: [], unread: {}, requests: [], online: {}, songs: null });
  document.getElementById("connection").hidden = true;
  history.replaceState(null, "", "/");
  render();
  if (callServer) announce("You are logged out.");
}

async function start() {
  document.getElementById("logout").addEventListener("click", () => logout());
  document.getElementById("stop-playing").addEventListener("click", () => ctx.player.stop());
  document.getElementById("dismiss-alert").addEventListener("click", () => dismissError());
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => ctx.go(button.dataset.route));
  }
  window.addEventListener("hashchange", () => { clearError(); render(true); });
  if (ctx.api.token) {
    try {
      await refresh();
      connect();
    } catch (err) {
      if (err.status !== 401) {
        app.replaceChildren();
        announce(`Could not load your account: ${err.message}`, "error");
        const retry = document.createElement("button");
        retry.type = "button";
        retry.textContent = "Try again";
        retry.addEventListener("click", () => location.reload());
        app.append(retry);
        return;
      }
      ctx.api.setToken(null);
    }
  }
  render();
}

start();
