// Recording voice messages.
//   canRecord() -> true when the browser has a microphone API (MediaRecorder + getUserMedia)
//   const rec = await startRecording(); ...; const blob = await rec.stop();  // or rec.cancel()
//   holdToRecord(button, { onStart(), onBlob(blob), onError(message), minMs })
//     pointer: press and hold, release to send; keyboard: hold Space or Enter, release to send;
//     Escape while recording cancels. The button gets aria-pressed while it records.
//   The Blob keeps whatever type the browser records (webm/opus, ogg, mp4); the server converts.

const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm", "audio/ogg"];

export function canRecord() {
  return Boolean(window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

function micError(err) {
  const name = err && err.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "Microphone permission was refused. Allow the microphone (it needs https or localhost), or upload a recording instead.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No microphone was found. Upload a recording instead.";
  return "The microphone could not be started. Upload a recording instead.";
}

export async function startRecording() {
  if (!canRecord()) throw new Error("This browser cannot record here (it needs https or localhost). Upload a recording instead.");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (err) {
    throw new Error(micError(err));
  }
  const mimeType = TYPES.find((t) => MediaRecorder.isTypeSupported(t));
  const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
  const chunks = [];
  recorder.addEventListener("dataavailable", (e) => e.data && e.data.size && chunks.push(e.data));
  const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve, { once: true }));
  const started = Date.now();
  recorder.start(250);
  const release = () => stream.getTracks().forEach((t) => t.stop());
  return {
    started,
    async stop() {
      if (recorder.state !== "inactive") recorder.stop();
      await stopped;
      release();
      const type = (recorder.mimeType || mimeType || "audio/webm").split(";")[0];
      return new Blob(chunks, { type });
    },
    cancel() {
      if (recorder.state !== "inactive") recorder.stop();
      release();
    },
  };
}

export function holdToRecord(button, { onStart = () => {}, onBlob, onError, minMs = 400 }) {
  let session = null;
  let pending = null;
  let holding = false;

  async function begin() {
    if (holding) return;
    holding = true;
    button.setAttribute("aria-pressed", "true");
    button.classList.add("recording");
    pending = startRecording();
    try {
      session = await pending;
    } catch (err) {
      holding = false;
      reset();
      onError(err.message);
      return;
    }
    if (!holding) return finish(false);
    onStart();
  }

  function reset() {
    button.setAttribute("aria-pressed", "false");
    button.classList.remove("recording");
  }

  async function finish(send = true) {
    holding = false;
    reset();
    if (pending) {
      try { await pending; } catch { return; }
    }
    const current = session;
    session = null;
    pending = null;
    if (!current) return;
    if (!send) return current.cancel();
    const blob = await current.stop();
    if (Date.now() - current.started < minMs || !blob.size) {
      onError("Hold the button while you speak, then let go to send.");
      return;
    }
    onBlob(blob);
  }

  button.setAttribute("aria-pressed", "false");
  button.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    button.setPointerCapture && button.setPointerCapture(e.pointerId);
    begin();
  });
  button.addEventListener("pointerup", () => holding && finish(true));
  button.addEventListener("pointercancel", () => holding && finish(false));
  button.addEventListener("keydown", (e) => {
    if (e.key === " " || e.key === "Enter") {
      e.preventDefault();
      if (!e.repeat) begin();
    } else if (e.key === "Escape" && holding) {
      finish(false);
    }
  });
  button.addEventListener("keyup", (e) => {
    if ((e.key === " " || e.key === "Enter") && holding) {
      e.preventDefault();
      finish(true);
    }
  });
  button.addEventListener("blur", () => holding && finish(false));
  button.addEventListener("contextmenu", (e) => e.preventDefault());
}

/** True when `file` looks like audio by its type or name (the server checks the content). */
export function looksLikeAudio(file) {
  return Boolean(file) && (/^audio\//.test(file.type) || /\.(amr|m4a|aac|mp3|wav|ogg|oga|opus|webm)$/i.test(file.name));
}
