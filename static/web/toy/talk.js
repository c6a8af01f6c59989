// Talking: the assistant (POST /ai_uploader, a flat answer) and voice messages to friends
// (POST /toy_uploader with the receiver's kind and a client msg_id).
//   const talk = new Talk({ api, player, playNow(url, label), button, modeBox, modeText,
//                           songTitle(music), friendById(id), announce });
//   talk.bind()                    hold-to-speak on the Talk button
//   talk.bindFriend(button, friend) hold-to-record a message for `friend` (a friend entry)
//   talk.cancelMessage()           leave "record a message for X" mode
import { ApiError, files, newMessageId } from "/web/common/api.js";
import { holdToRecord } from "/web/common/recorder.js";

export function friendName(friend) {
  return (friend && (friend.friend_remark || friend.friend_nick)) || "a friend";
}

export class Talk {
  constructor({ api, player, playNow, button, modeBox, modeText, songTitle, friendById, announce }) {
    Object.assign(this, { api, player, playNow, button, modeBox, modeText, songTitle, friendById, announce });
    this.target = null; // { id, type, name } after "send a message to X"
    this.pausedFor = null;
  }

  bind() {
    holdToRecord(this.button, {
      onStart: () => this.pausePlayback(),
      onBlob: (blob) => this.afterRecording(blob),
      onError: (message) => { this.resumePlayback(); this.announce(message, "error"); },
    });
  }

  bindFriend(button, friend) {
    holdToRecord(button, {
      onStart: () => this.pausePlayback(),
      onBlob: (blob) => {
        this.resumePlayback();
        this.sendMessage(blob, { id: friend.friend_id, type: friend.friend_type, name: friendName(friend) });
      },
      onError: (message) => { this.resumePlayback(); this.announce(message, "error"); },
    });
  }

  /** While the child speaks, the toy is quiet; what was playing continues afterwards. */
  pausePlayback() {
    const audio = this.player.audio;
    this.pausedFor = this.player.current && !audio.paused ? this.player.current : null;
    if (this.pausedFor) audio.pause();
  }

  resumePlayback() {
    if (this.pausedFor && this.player.current === this.pausedFor) this.player.audio.play().catch(() => {});
    this.pausedFor = null;
  }

  afterRecording(blob) {
    this.resumePlayback();
    if (this.target) {
      const target = this.target;
      this.cancelMessage();
      this.sendMessage(blob, target);
    } else {
      this.askAssistant(blob);
    }
  }

  async askAssistant(blob) {
    this.announce("Thinking…");
    let answer;
    try {
      answer = await this.api.upload("/ai_uploader", {}, "reco", blob, { flat: true });
    } catch (err) {
      this.announce(`The assistant could not answer: ${err.message}`, "error");
      return;
    }
    if (answer.music) {
      this.playNow(files.music(answer.music), `Song: ${this.songTitle(answer.music)}`);
    } else if (answer.from_user && answer.from_user !== "ai") {
      const friend = this.friendById(answer.from_user);
      const name = friend ? friendName(friend) : "your friend";
      this.playNow(files.chat(answer.chat), `Assistant: you can talk to ${name} now`);
      this.startMessage({ id: answer.from_user, type: answer.friend_type || (friend && friend.friend_type), name });
    } else if (answer.chat) {
      this.playNow(files.chat(answer.chat), "Assistant answer");
    } else {
      this.announce("The assistant gave no answer. Please try again.", "error");
    }
  }

  startMessage(target) {
    this.target = target;
    this.button.textContent = `Record for ${target.name}`;
    this.button.classList.add("message");
    this.modeText.textContent = `Hold the button and say your message for ${target.name}, then let go to send it.`;
    this.modeBox.hidden = false;
  }

  cancelMessage() {
    this.target = null;
    this.button.textContent = "Talk";
    this.button.classList.remove("message");
    this.modeBox.hidden = true;
  }

  /** Upload a voice message; a lost answer is retried once with the same msg_id (never doubled). */
  async sendMessage(blob, target) {
    const fields = { to_user: target.id, friend_type: target.type || "app", msg_id: newMessageId() };
    this.announce(`Sending your message to ${target.name}…`);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await this.api.upload("/toy_uploader", fields, "reco", blob);
        this.announce(`Message sent to ${target.name}.`, "ok");
        return;
      } catch (err) {
        const retry = err instanceof ApiError && err.status === 0 && attempt === 0;
        if (!retry) {
          this.announce(`Your message to ${target.name} was not sent: ${err.message}`, "error");
          return;
        }
      }
    }
  }
}
