// Three HTTP servers in a process of their own (so the client's CPU is the bench's alone); prints
// their ports as one JSON line, and ends with its parent's stdin.
import { createServer } from "node:http";

const ports = await Promise.all(
  [0, 1, 2].map(
    (n) =>
      new Promise((resolve) => {
        const server = createServer((req, res) => {
          req.resume();
          res.writeHead(200, { "content-type": "text/plain" }).end(`server ${n}`);
        });
        server.keepAliveTimeout = 60_000;
        server.listen(0, "127.0.0.1", () => resolve(server.address().port));
      }),
  ),
);
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
