// QR codes: read one with the camera (getUserMedia + jsQR) or from a photo, and draw one.
import qrcode from "/vendor/qrcode-generator/qrcode.mjs";
import { h } from "/web/common/ui.js";

function decoder() {
  if (!window.jsQR) throw new Error("The QR decoder did not load. Type the code instead.");
  return window.jsQR;
}

function decodeImageData(image) {
  const found = decoder()(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
  return found && found.data ? found.data.trim() : null;
}

/** The text of the QR code in an image file, or an Error in words. */
export async function decodePhoto(file) {
  if (!file || !/^image\//.test(file.type)) throw new Error("Pick a photo (an image file) of the QR code.");
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error("That image could not be opened. Try another photo.");
  }
  const scale = Math.min(1, 1280 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const text = decodeImageData(context.getImageData(0, 0, canvas.width, canvas.height));
  if (!text) throw new Error("No QR code found in that photo. Take it closer and sharper, or type the code.");
  return text;
}

/** A camera scanner: `element` (a video + Stop button) and `start()` → the text found. */
export function cameraScanner(label = "Camera view for scanning a QR code") {
  const video = h("video", { class: "scanner", playsinline: true, muted: true, "aria-label": label });
  const stopButton = h("button", { type: "button", class: "secondary" }, "Stop camera");
  const element = h("div", { class: "stack", hidden: true }, video, stopButton);
  let stream = null;
  let cancel = null;

  function stop() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    element.hidden = true;
    if (cancel) cancel();
    cancel = null;
  }
  stopButton.addEventListener("click", stop);

  async function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("This browser cannot use the camera here (it needs https or localhost). Pick a photo or type the code.");
    }
    decoder();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (err) {
      throw new Error(err && err.name === "NotAllowedError"
        ? "Camera permission was refused. Pick a photo of the QR code or type the code."
        : "No camera could be started. Pick a photo of the QR code or type the code.");
    }
    element.hidden = false;
    video.srcObject = stream;
    await video.play().catch(() => {});
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return new Promise((resolve, reject) => {
      cancel = () => reject(new Error("Scanning stopped."));
      const tick = () => {
        if (!stream) return;
        if (video.readyState >= 2 && video.videoWidth) {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0);
          const text = decodeImageData(context.getImageData(0, 0, canvas.width, canvas.height));
          if (text) {
            cancel = null;
            stop();
            resolve(text);
            return;
          }
        }
        setTimeout(tick, 200);
      };
      tick();
    });
  }

  return { element, start, stop };
}

/** An <img> showing `text` as a QR code. */
export function qrImage(text, alt) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  return h("img", { class: "qr", src: qr.createDataURL(6, 12), alt, width: 200, height: 200 });
}

/** The device key inside a scanned text: the text itself, or a 32-hex key in a URL/text. */
export function keyFrom(text) {
  const value = String(text || "").trim();
  const match = value.match(/\b[0-9a-fA-F]{32}\b/);
  return match && match[0].length !== value.length ? match[0] : value;
}
