// The toy page at /toy: boot with a device key, play what arrives, talk to the assistant and
// to friends. Modules: boot.js (device key, /open_toy), inbox.js (/recv_msg), talk.js
// (/ai_uploader, /toy_uploader); shared ones from /web/common/.
import { Api, files } from "/web/common/api.js";
import { AudioQueue } from "/web/common/player.js";
import { connectLive } from "/web/common/socket.js";
import { announce, clearError, dismissError, h } from "/web/common/ui.js";
import { forgetKey, initialKey, openToy } from "/web/toy/boot.js";
import { Inbox } from "/web/toy/inbox.js";
import { Talk, friendName } from "/web/toy/talk.js";

const $ = (id) => document.getElementById(id);

const state = {
  key: "", live: null, friends: [], songs: [], booting: null, retry: null, friendButtons: new Map(),
};

const api = new Api({ onUnauthorized: () => reboot() });
const player = new AudioQueue({ onChange: showPlaying, onError: playbackProblem });
const inbox = new Inbox({
  api, player, nameOf: (id) => friendName(friendById(id)), onCounts: showCounts,
  onError: (err) => problem("Could not fetch new messages", err),
});
const talk = new Talk({
  api, player, playNow: (url, label) => inbox.playNow(url, label), button: $("talk"),
  modeBox: $("message-mode"), modeText: $("message-mode-text"), songTitle, friendById, announce,
});

/** Show a failed call in words; a refused token is not shown: the toy boots again instead. */
function problem(what, err) {
  if (err.status !== 401) announce(`${what}: ${err.message}`, "error");
}

function friendById(id) {
  return state.friends.find((f) => f.friend_id === id) || null;
}

function songTitle(music) {
  const song = state.songs.find((s) => s.music === music);
  return song ? song.title : "a song";
}

// --- playing ---------------------------------------------------------------------------------

function showPlaying(now) {
  $("now-card").hidden = !now.playing && $("toy").hidden; // on the start screen only while playing
  $("now-playing").textContent = now.playing ? `${now.playing}${now.queued ? ` (then ${now.queued} more)` : ""}` : "Nothing";
  $("sound-on").hidden = Boolean(now.playing) || !now.queued; // waiting: the browser blocked sound
  showCounts(inbox.counts());
  inbox.prune();
}

function playbackProblem(message) {
  announce(message, "error");
}

let lastPlayed = null;
player.audio.addEventListener("playing", () => {
  if (!player.current || player.current === lastPlayed) return; // a pause and resume is not news
  lastPlayed = player.current;
  const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  $("played").append(h("li", {}, `${time} ${player.current.label}`));
  $("played-card").hidden = false;
  const list = $("played");
  while (list.children.length > 50) list.firstElementChild.remove();
});

// --- friends and songs -----------------------------------------------------------------------

function showCounts(counts) {
  for (const [id, { badge, replay, name }] of state.friendButtons) {
    const n = counts.get(id) || 0;
    badge.textContent = `${n} new`;
    badge.hidden = n === 0;
    const kept = (inbox.kept.get(id) || []).length;
    replay.hidden = kept === 0;
    replay.textContent = `Play ${kept} new`;
    replay.setAttribute("aria-label", `Play ${kept} new ${kept === 1 ? "message" : "messages"} from ${name}`);
  }
}

function renderFriends() {
  const list = $("friends");
  list.replaceChildren();
  state.friendButtons.clear();
  for (const friend of state.friends) {
    const name = friendName(friend);
    const button = h("button", { type: "button", class: "friend-talk secondary" }, `Message ${name}`);
    const badge = h("span", { class: "badge", hidden: true });
    const replay = h("button", { type: "button", class: "replay", hidden: true,
      onclick: () => inbox.playKept(friend.friend_id) });
    talk.bindFriend(button, friend);
    state.friendButtons.set(friend.friend_id, { badge, replay, name });
    list.append(h("li", {}, button, badge, replay));
  }
  $("no-friends").hidden = state.friends.length > 0;
  showCounts(inbox.counts());
}

function renderSongs() {
  const list = $("songs");
  list.replaceChildren();
  for (const song of state.songs) {
    const cover = song.cover ? h("img", { class: "cover", src: files.image(song.cover), alt: "" }) : null;
    const button = h("button", {
      type: "button", class: "song secondary",
      onclick: () => inbox.playNow(files.music(song.music), `Song: ${song.title}`),
    }, cover, `Play ${song.title}`);
    list.append(h("li", {}, button));
  }
  $("no-songs").hidden = state.songs.length > 0;
}

/** What the friend buttons show: redrawn only when it changed, never under a held button. */
function friendsShape(friends) {
  return JSON.stringify(friends.map((f) => [f.friend_id, friendName(f), f.friend_type]));
}

async function loadFriends() {
  try {
    const friends = await api.post("/friend_list", {});
    const changed = friendsShape(friends) !== friendsShape(state.friends) || !state.friendButtons.size;
    state.friends = friends;
    if (changed) renderFriends();
  } catch (err) {
    problem("Could not load the friends", err);
  }
}

async function loadSongs() {
  try {
    state.songs = await api.post("/content_list", { limit: 200 });
    renderSongs();
  } catch (err) {
    problem("Could not load the songs", err);
  }
}

// --- live pushes -----------------------------------------------------------------------------

function showConnection(kind, text) {
  const el = $("connection");
  el.className = `connection ${kind}`;
  el.textContent = text;
}

function connect(token) {
  if (state.live) state.live.close();
  state.live = connectLive({
    token,
    on: {
      chat: (m) => {
        if (!friendById(m.from_user)) loadFriends();
        inbox.noteUnread(m.from_user, m.unread);
        inbox.fetch();
      },
      music: (m) => player.enqueue(files.music(m.music), `Song: ${songTitle(m.music)}`),
    },
    onState: (s) => showConnection(s === "online" ? "online" : "offline",
      s === "online" ? "Online" : s === "connecting" ? "Connecting…" : "Offline, reconnecting…"),
    onReconnect: () => refresh(),
    onRefused: () => reboot(),
  });
}

async function refresh() {
  await Promise.all([loadFriends(), loadSongs()]);
  await inbox.fetch();
}

// New friends (a request accepted) and a toy unbound meanwhile (its token revoked: the next
// call reboots and says why) are not pushed to the toy: look again now and then, and whenever
// the page becomes visible again.
const LOOK_AGAIN_MS = 5 * 60 * 1000;
setInterval(() => { if (state.live && !document.hidden) loadFriends(); }, LOOK_AGAIN_MS);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.live) refresh();
});

// --- boot ------------------------------------------------------------------------------------

function showBoot(why) {
  $("toy").hidden = true;
  $("boot").hidden = false;
  $("now-card").hidden = !player.current;
  $("toy-title").textContent = "Smart toy";
  document.title = "Smart toy";
  $("device-key").value = state.key;
  $("boot-problem").textContent = why || "";
  $("boot-problem").hidden = !why;
  showConnection("offline", "Not started");
}

const RETRY_MS = 5000;

async function boot(key) {
  clearTimeout(state.retry);
  state.key = key.trim();
  clearError();
  const result = await openToy(api, state.key);
  if (result.prompt) inbox.playNow(files.chat(result.prompt.name), result.prompt.label);
  if (!result.ok) {
    if (state.live) state.live.close();
    state.live = null;
    if (result.retry) { // no answer from the server: keep trying, as a toy would
      showBoot(`${result.problem} Trying again in a few seconds…`);
      state.retry = setTimeout(reboot, RETRY_MS);
    } else {
      showBoot(result.problem);
    }
    return;
  }
  const { answer } = result;
  api.setToken(answer.token);
  $("boot").hidden = true;
  $("toy").hidden = false;
  $("now-card").hidden = false;
  $("toy-title").textContent = answer.name;
  document.title = `${answer.name} (smart toy)`;
  connect(answer.token);
  await refresh();
}

/** The token stopped working (revoked, expired, toy unbound): boot again with the same key. */
function reboot() {
  if (state.booting || !state.key) return;
  state.booting = boot(state.key).finally(() => { state.booting = null; });
}

$("boot-form").addEventListener("submit", (e) => {
  e.preventDefault();
  boot($("device-key").value);
});
$("forget-key").addEventListener("click", () => {
  clearTimeout(state.retry);
  forgetKey();
  if (state.live) state.live.close();
  state.live = null;
  state.key = "";
  api.setToken(null);
  player.stop();
  showBoot("");
  $("device-key").focus();
});
$("stop").addEventListener("click", () => inbox.stopPlayback());
$("sound-on").addEventListener("click", () => player.resume());
$("message-cancel").addEventListener("click", () => talk.cancelMessage());
$("dismiss-alert").addEventListener("click", () => dismissError());
talk.bind();

state.key = initialKey();
if (state.key) boot(state.key);
else showBoot("");
