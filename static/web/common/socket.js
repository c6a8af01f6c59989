// Socket.IO pushes for the web pages.
//   const live = connectLive({ token, on: { chat(m) {...}, toy_status(s) {...} },
//                              onState(state) {...}, onConnected() {...}, onReconnect() {...},
//                              onRefused(msg) {...} });
//   live.emit("play", { to_user, music }) -> Promise of the ack; live.close()
// `state` is "connecting", "online" or "offline". Pushes are hints: once the first connection
// is up `onConnected` runs (pushes sent between the page's first fetch and that moment were
// missed), and after a reconnect (server restart, network change) `onReconnect` runs, so the
// page refetches what it missed.
import { io } from "/vendor/socket.io/socket.io.esm.min.js";

export function connectLive({
  token, on = {}, onState = () => {}, onConnected = () => {}, onReconnect = () => {}, onRefused = () => {},
}) {
  const socket = io({
    auth: { token },
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 4000,
  });
  let connectedBefore = false;
  onState("connecting");
  socket.on("connect", () => {
    onState("online");
    if (connectedBefore) onReconnect();
    else onConnected();
    connectedBefore = true;
  });
  socket.on("disconnect", () => onState("offline"));
  socket.on("connect_error", (err) => {
    if (!socket.active) onRefused(err.message || "the server refused the connection");
    else onState("offline");
  });
  for (const [event, handler] of Object.entries(on)) socket.on(event, handler);
  return {
    socket,
    emit(event, data, timeout = 10000) {
      return socket.timeout(timeout).emitWithAck(event, data);
    },
    close() {
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}
