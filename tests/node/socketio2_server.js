// A real Socket.IO 2.x server (npm socket.io@2) on 127.0.0.1, behaving like the Lovense socket
// service of the Basic Socket API: payloads are JSON strings. Prints "PORT <n>" when listening
// and "EVENT <name> <json>" for every client event; reads "drop", "push" and "exit" on stdin.
"use strict";
const http = require("http");
const readline = require("readline");
const socketio = require("socket.io");

const server = http.createServer();
const io = socketio(server, {
  path: "/developer.io",
  transports: ["websocket"],
  pingInterval: 300,
  pingTimeout: 400,
});

io.use((socket, next) => {
  if (socket.handshake.query.ntoken === "node-ntoken") return next();
  return next(new Error("bad ntoken"));
});

io.on("connection", (socket) => {
  console.log("EVENT connection " + JSON.stringify(socket.handshake.query.EIO || ""));
  socket.on("basicapi_get_qrcode_ts", (data) => {
    console.log("EVENT basicapi_get_qrcode_ts " + JSON.stringify(data));
    socket.emit("basicapi_get_qrcode_tc", JSON.stringify({
      code: 0, message: "Success",
      data: { qrcodeUrl: "https://example.invalid/qr.png", qrcode: "raw", ackId: data.ackId },
    }));
  });
  socket.on("basicapi_send_toy_command_ts", (data) => {
    console.log("EVENT basicapi_send_toy_command_ts " + JSON.stringify(data));
  });
});

const deviceInfo = {
  deviceCode: "dev1", online: true, domain: "127-0-0-1.lovense.club", httpsPort: 30010,
  wssPort: 30110, appVersion: "1.3.7", platform: "android", appType: "remote",
  toyList: [{ id: "t1", name: "Lush 3", toyType: "lush", nickname: "", hVersion: "3",
              fVersion: 300, battery: 100, connected: true }],
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = line.trim();
  if (command === "push") io.emit("basicapi_update_device_info_tc", JSON.stringify(deviceInfo));
  if (command === "drop") Object.values(io.sockets.sockets).forEach((s) => s.disconnect(true));
  if (command === "exit") process.exit(0);
});

// Bounded life: never outlive a test run by more than a minute.
setTimeout(() => process.exit(0), 60000).unref();
server.listen(0, "127.0.0.1", () => console.log("PORT " + server.address().port));
