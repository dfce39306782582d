// Node's own global WebSocket (Node >= 22) as a client of a wsport server:
// node node_native_client.mjs <url>. Offers ["chat", "superchat"], sends
// "hello" and bytes 1 2 3, closes with 4000 "bye", then prints one JSON line
// with what it saw.
const url = process.argv[2];
const socket = new WebSocket(url, ["chat", "superchat"]);
socket.binaryType = "arraybuffer";
const seen = { protocol: null, messages: [], close: null, error: null };
const timer = setTimeout(() => {
  seen.error = "timed out";
  finish();
}, 5000);
function finish() {
  clearTimeout(timer);
  console.log(JSON.stringify(seen));
  process.exit(0);
}
socket.onopen = () => {
  seen.protocol = socket.protocol;
  socket.send("hello");
  socket.send(new Uint8Array([1, 2, 3]));
};
socket.onmessage = (event) => {
  seen.messages.push(typeof event.data === "string" ? event.data : [...new Uint8Array(event.data)]);
  if (seen.messages.length === 2) socket.close(4000, "bye");
};
socket.onerror = (event) => {
  seen.error = String(event.message ?? "error");
};
socket.onclose = (event) => {
  seen.close = { code: event.code, reason: event.reason, wasClean: event.wasClean };
  finish();
};
