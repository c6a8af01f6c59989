// The toy's unread voice messages: POST /recv_msg (a bare list: per sender an announcement
// without `_id`, then that sender's messages, oldest first) queued on the player in order.
//   const inbox = new Inbox({ api, player, nameOf(friendId), onCounts(map), onError(err) });
//   inbox.noteUnread(from, n)   a `chat` push said `from` has n unread messages
//   await inbox.fetch()         fetch and queue everything unread (calls never overlap)
//   inbox.counts()              Map friend id -> messages not heard yet (unfetched + queued)
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
    for (const item of items) {
      const from = item.from_user;
      const name = this.nameOf(from);
      this.unfetched.delete(from);
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

  /** Forget the sender of urls no longer queued (keeps the map small). */
  prune() {
    const live = new Set([this.player.current, ...this.player.queue].filter(Boolean).map((i) => i.url));
    for (const url of this.senderOf.keys()) if (!live.has(url)) this.senderOf.delete(url);
  }
}
