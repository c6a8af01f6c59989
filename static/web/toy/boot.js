// Booting the toy with its device key (POST /open_toy, a flat answer).
//   initialKey()          -> the key from ?key= (then remembered and dropped from the URL) or the
//                            remembered one, or ""
//   rememberKey(key) / forgetKey()
//   openToy(api, key)     -> { ok, answer, problem, prompt, retry }: `prompt` is the boot prompt to
//                            play (Success / Nobind / Nolic), `problem` why the toy cannot start, in
//                            words, `retry` true when the server could not answer now (worth trying again).

const KEY_STORAGE = "smarttoy.toy.key";

const PROMPTS = {
  "Success.mp3": "Start-up greeting",
  "Nobind.mp3": "Start-up: not bound yet",
  "Nolic.mp3": "Start-up: unknown device key",
};

export const PROBLEMS = {
  1: "This toy is not bound to a parent yet. In the parent app, add a toy and scan this toy's QR code "
    + "(or type its key), then press Start again.",
  2: "This is not a licensed device key. Check the key printed under the toy's QR code and type it again.",
};

export function initialKey() {
  const params = new URLSearchParams(location.search);
  const fromUrl = (params.get("key") || "").trim();
  if (fromUrl) {
    rememberKey(fromUrl);
    params.delete("key"); // out of the address bar and history; it is remembered instead
    const rest = params.toString();
    history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}${location.hash}`);
    return fromUrl;
  }
  return localStorage.getItem(KEY_STORAGE) || "";
}

export function rememberKey(key) {
  localStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey() {
  localStorage.removeItem(KEY_STORAGE);
}

/** Ask the server to boot with `key`; never throws (network and server errors become `problem`). */
export async function openToy(api, key) {
  if (!key) return { ok: false, problem: "Type the toy's device key first." };
  let answer;
  try {
    answer = await api.flat("/open_toy", { device_key: key });
  } catch (err) {
    return { ok: false, problem: err.message, retry: err.status === 0 || err.status === 429 || err.status >= 500 };
  }
  const prompt = answer.music ? { name: answer.music, label: PROMPTS[answer.music] || "Start-up sound" } : null;
  if (answer.code === 2) forgetKey();
  else rememberKey(key); // bound or not yet: the same key starts the toy next time
  if (answer.code === 0 && answer.token) return { ok: true, answer, prompt };
  return { ok: false, answer, prompt, problem: PROBLEMS[answer.code] || "The server refused to start this toy." };
}
