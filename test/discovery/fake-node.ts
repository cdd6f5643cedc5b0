import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** How a fake node answers every request. */
export type Misbehaviour = "non-json" | "unknown-code" | "html" | "huge" | "hang";

/** A loopback HTTP server that plays a discovery node, badly or as a counting proxy. */
export class FakeNode {
  private readonly sockets = new Set<Socket>();
  /** Requests per endpoint ("polls", "fetchs", ...), and the polls in flight now and at most. */
  readonly counts = new Map<string, number>();
  pollsInFlight = 0;
  maxPollsInFlight = 0;
  /** The query of every poll, in order. */
  readonly polls: URLSearchParams[] = [];
  /** A proxy that hangs: it takes requests and answers none (those in flight included). */
  hanging = false;

  private constructor(private readonly server: Server) {
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  /** `127.0.0.1:PORT`. */
  get node(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private static async listen(handler: (node: FakeNode, req: IncomingMessage, res: ServerResponse) => void) {
    const server = createServer();
    const fake = new FakeNode(server);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => handler(fake, req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  /** A node that answers every request the way `how` says. */
  static misbehaving(how: Misbehaviour): Promise<FakeNode> {
    return FakeNode.listen((_node, req, res) => {
      req.resume();
      switch (how) {
        case "non-json":
          res.end("ok, registered");
          return;
        case "unknown-code":
          res.setHeader("content-type", "application/json");
          res.end('{"code":-777,"message":"quota exhausted","ttl":1}');
          return;
        case "html":
          res.writeHead(502, { "content-type": "text/html" });
          res.end("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
          return;
        case "huge": {
          // Chunked, without a length: the client must count as it reads.
          res.setHeader("content-type", "application/json");
          const chunk = Buffer.alloc(1024 * 1024, 0x20);
          res.write('{"code":0,"data":');
          let sent = 0;
          const more = (): void => {
            while (sent < 80) {
              sent++;
              if (!res.write(chunk)) return void res.once("drain", more);
            }
            res.end("null}");
          };
          res.on("close", () => (sent = 1_000));
          more();
          return;
        }
        case "hang":
          return; // accepts, reads, never answers
      }
    });
  }

  /** A node that forwards every request to `target` and counts them. */
  static proxy(target: string): Promise<FakeNode> {
    return FakeNode.listen((node, req, res) => {
      if (node.hanging) return void req.resume();
      const url = new URL(req.url ?? "/", `http://${target}`);
      const path = url.pathname.replace("/discovery/", "");
      node.counts.set(path, (node.counts.get(path) ?? 0) + 1);
      const isPoll = path === "polls";
      if (isPoll) {
        node.polls.push(url.searchParams);
        node.pollsInFlight++;
        node.maxPollsInFlight = Math.max(node.maxPollsInFlight, node.pollsInFlight);
        res.once("close", () => node.pollsInFlight--);
      }
      const upstream = new AbortController();
      res.once("close", () => upstream.abort());
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const headers: Record<string, string> = {};
        for (const h of ["content-type", "x1-bmspy-timeout"]) {
          const v = req.headers[h];
          if (typeof v === "string") headers[h] = v;
        }
        fetch(url, {
          method: req.method ?? "GET",
          headers,
          signal: upstream.signal,
          ...(req.method === "POST" && { body: Buffer.concat(chunks) }),
        })
          .then(async (r) => {
            const body = await r.text();
            if (node.hanging) return;
            res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" });
            res.end(body);
          })
          .catch(() => res.destroy());
      });
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
