// The toy's unread voice messages: POST /recv_msg (a bare list: per sender an announcement
// without `_id`, then that sender's messages, oldest first) queued on the player in order.
//   const inbox = new Inbox({ api, player, nameOf(friendId), onCounts(map), onError(err) });
//   inbox.noteUnread(from, n)   a `chat` push said `from` has n unread messages
//   await inbox.fetch()         fetch and queue everything unread (calls never overlap)
//   inbox.counts()              Map friend id -> messages not heard yet (unfetched + queued + kept)
//   inbox.stopPlayback()        stop the player; messages not heard yet are kept per friend
//   inbox.playKept(from)        play the kept messages of `from` now
//   inbox.playNow(url, label)   play something else now (unheard messages are kept, not lost)
import { files } from "/web/common/api.js";

export class Inbox {
  constructor({ api, player, nameOf, onCounts = () => {}, onError = () => {} }) {
    this.api = api;
    this.player = player;
    this.nameOf = nameOf;
    this.onCounts = onCounts;
    this.onError = onError;
    this.unfetched = new Map();
    this.senderOf = new Map(); // url of a queued message -> sender id
    this.kept = new Map(); // sender id -> [{ url, label }] stopped before they were heard
    this.running = null;
    this.again = false;
  }

  noteUnread(from, count) {
    if (!from) return;
    this.unfetched.set(from, Math.max(0, Number(count) || 0));
    this.onCounts(this.counts());
  }

  counts() {
    const counts = new Map(this.unfetched);
    for (const [from, items] of this.kept) counts.set(from, (counts.get(from) || 0) + items.length);
    const items = [this.player.current, ...this.player.queue].filter(Boolean);
    for (const item of items) {
      const from = this.senderOf.get(item.url);
      if (from) counts.set(from, (counts.get(from) || 0) + 1);
    }
    return counts;
  }

  /** Fetch what is unread and queue it; a call during a fetch runs once more afterwards. */
  fetch() {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.fetchOnce();
      } while (this.again);
    })().finally(() => { this.running = null; });
    return this.running;
  }

  async fetchOnce() {
    let items;
    try {
      items = await this.api.flat("/recv_msg", {});
    } catch (err) {
      this.onError(err);
      return;
    }
    if (!Array.isArray(items)) return;
    // The answer holds everything unread: a push counted before it (even one whose message an
    // earlier fetch already took) is settled now; a push during it makes fetch() ask again.
    this.unfetched.clear();
    for (const item of items) {
      const from = item.from_user;
      const name = this.nameOf(from);
      const url = files.chat(item.message);
      if (item._id) {
        this.senderOf.set(url, from);
        this.player.enqueue(url, `Message from ${name}`);
      } else {
        this.player.enqueue(url, `Announcement: you have a message from ${name}`);
      }
    }
    this.onCounts(this.counts());
  }

  /** Stop playing. /recv_msg already marked the queued messages read, so the ones not heard yet
   *  are kept (per sender) for playKept instead of being lost. */
  stopPlayback() {
    for (const item of [this.player.current, ...this.player.queue].filter(Boolean)) {
      const from = this.senderOf.get(item.url);
      if (!from) continue;
      if (!this.kept.has(from)) this.kept.set(from, []);
      this.kept.get(from).push(item);
    }
    this.player.stop();
  }

  playNow(url, label) {
    this.stopPlayback();
    this.player.enqueue(url, label);
    this.onCounts(this.counts());
  }

  playKept(from) {
    const items = this.kept.get(from) || [];
    this.kept.delete(from);
    this.stopPlayback();
    for (const item of items) {
      this.senderOf.set(item.url, from);
      this.player.enqueue(item.url, item.label);
    }
    this.onCounts(this.counts());
  }

  /** Forget the sender of urls no longer queued (keeps the map small). */
  prune() {
    const live = new Set([this.player.current, ...this.player.queue].filter(Boolean).map((i) => i.url));
    for (const url of this.senderOf.keys()) if (!live.has(url)) this.senderOf.delete(url);
  }
}
