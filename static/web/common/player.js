// Sequential audio: queued clips play one after the other on one <audio> element.
//   const player = new AudioQueue({ onChange(state) {}, onError(message) {} });
//   player.enqueue(url, label); player.playNow(url, label); player.stop();
// state: { playing: label|null, queued: n }.

export class AudioQueue {
  constructor({ onChange = () => {}, onError = () => {} } = {}) {
    this.audio = new Audio();
    this.queue = [];
    this.current = null;
    this.onChange = onChange;
    this.onError = onError;
    this.audio.addEventListener("ended", () => this.next());
    this.audio.addEventListener("error", () => {
      if (!this.current) return;
      this.onError(`Could not play ${this.current.label || "the recording"}.`);
      this.next();
    });
  }

  state() {
    return { playing: this.current ? this.current.label : null, queued: this.queue.length, url: this.current && this.current.url };
  }

  enqueue(url, label = "") {
    this.queue.push({ url, label });
    if (!this.current) this.next();
    else this.onChange(this.state());
  }

  playNow(url, label = "") {
    this.queue = [];
    this.current = null;
    this.enqueue(url, label);
  }

  stop() {
    this.queue = [];
    this.current = null;
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.onChange(this.state());
  }

  /** Start the queue again after the browser blocked playback. */
  resume() {
    if (!this.current) this.next();
  }

  next() {
    this.current = this.queue.shift() || null;
    this.onChange(this.state());
    if (!this.current) return;
    const item = this.current;
    this.audio.src = item.url;
    this.audio.play().catch((err) => {
      if (this.current !== item) return; // replaced meanwhile
      if (err && err.name === "NotAllowedError") {
        this.onError("The browser blocked playback: tap Play to listen.");
        this.current = null;
        this.queue.unshift(item);
        this.onChange(this.state());
      } else if (err && err.name !== "AbortError") {
        this.onError(`Could not play ${item.label || "the recording"}.`);
        this.next();
      }
    });
  }
}
