// The HTTP API as the web pages use it.
//   const api = new Api({ tokenKey: "smarttoy.parent.token", onUnauthorized });
//     onUnauthorized(message) runs on any 401; a string it returns replaces the message.
//   await api.post("/login", { username, password })   -> envelope.data (throws ApiError otherwise)
//   await api.flat("/open_toy", { device_key })        -> the raw JSON of the flat endpoints
//                                                         (/open_toy, /recv_msg, /ai_uploader)
//   await api.upload("/app_uploader", { to_user, msg_id }, "reco_file", blob)
// Every failure is an ApiError whose message is a sentence a person can read: the server's own
// `msg` (which names the problem), or what went wrong on the way (no network, timeout, a proxy
// page instead of JSON). `err.status` is the HTTP status (0 = no answer), `err.code` the
// envelope's code (e.g. /scan_qr's 1 and 2 with HTTP 200), `err.data` its data.

export class ApiError extends Error {
  constructor(message, { status = 0, code = -1, data = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.data = data;
  }
}

const TIMEOUT_MS = 30000;
const UPLOAD_TIMEOUT_MS = 120000;

function capitalize(text) {
  const s = String(text || "").trim();
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

export class Api {
  constructor({ tokenKey = null, onUnauthorized = null } = {}) {
    this.tokenKey = tokenKey;
    this.onUnauthorized = onUnauthorized;
    this.token = tokenKey ? localStorage.getItem(tokenKey) : null;
  }

  setToken(token) {
    this.token = token || null;
    if (!this.tokenKey) return;
    if (this.token) localStorage.setItem(this.tokenKey, this.token);
    else localStorage.removeItem(this.tokenKey);
  }

  async request(path, { body = undefined, form = undefined, timeout = TIMEOUT_MS } = {}) {
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let payload;
    if (form) payload = form;
    else {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body || {});
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    try {
      response = await fetch(path, { method: "POST", headers, body: payload, signal: controller.signal });
    } catch (err) {
      if (err.name === "AbortError") {
        throw new ApiError(`The server did not answer within ${Math.round(timeout / 1000)} seconds. Please try again.`);
      }
      throw new ApiError("Cannot reach the server. Check your connection and try again.");
    } finally {
      clearTimeout(timer);
    }
    let json;
    try {
      json = await response.json();
    } catch {
      throw new ApiError(`The server answered something unexpected (HTTP ${response.status}). Please try again.`,
        { status: response.status });
    }
    if (!response.ok) {
      let message = capitalize((json && json.msg) || `request failed (HTTP ${response.status})`);
      // onUnauthorized may end the session and name that instead (it returns the new message).
      if (response.status === 401 && this.onUnauthorized) {
        const replaced = this.onUnauthorized(message);
        if (typeof replaced === "string" && replaced) message = replaced;
      }
      throw new ApiError(message, { status: response.status, code: json && json.code, data: json && json.data });
    }
    return json;
  }

  /** POST a JSON body to an envelope endpoint; its `data`, or an ApiError for any code but 0. */
  async post(path, body = {}) {
    const json = await this.request(path, { body });
    if (json.code !== 0) {
      throw new ApiError(capitalize(json.msg || "The request failed."), { status: 200, code: json.code, data: json.data });
    }
    return json.data;
  }

  /** POST to one of the flat endpoints (/open_toy, /recv_msg, /ai_uploader): the raw JSON. */
  async flat(path, body = {}, timeout = TIMEOUT_MS) {
    return this.request(path, { body, timeout });
  }

  /** Multipart upload of `blob` as `field` with text `fields`; envelope data (or flat JSON). */
  async upload(path, fields, field, blob, { flat = false } = {}) {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields || {})) {
      if (value !== undefined && value !== null) form.append(key, value);
    }
    form.append(field, blob, fileNameFor(blob));
    const json = await this.request(path, { form, timeout: UPLOAD_TIMEOUT_MS });
    if (flat) return json;
    if (json.code !== 0) throw new ApiError(capitalize(json.msg), { status: 200, code: json.code, data: json.data });
    return json.data;
  }
}

/** A file name with an extension matching the blob's type (the server never trusts it). */
export function fileNameFor(blob) {
  if (blob && blob.name) return blob.name;
  const type = (blob && blob.type) || "";
  const ext = type.includes("webm") ? "webm" : type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a"
    : type.includes("mpeg") ? "mp3" : type.includes("wav") ? "wav" : "bin";
  return `recording.${ext}`;
}

/** A client message id: retrying a send with the same id never stores it twice. */
export function newMessageId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** URLs of the server's files. */
export const files = {
  chat: (name) => `/get_chat/${encodeURIComponent(name)}`,
  music: (name) => `/get_music/${encodeURIComponent(name)}`,
  image: (name) => `/get_image/${encodeURIComponent(name)}`,
};
