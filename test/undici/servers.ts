import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A plain HTTP server on 127.0.0.1 that answers with its name, for tests of HTTP by name. */
export interface NamedServer {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly addr: string;
  /** Requests received so far. */
  requests: number;
  /** When the last request arrived (Date.now()). */
  lastAt: number;
  /** The Host header of the last request. */
  lastHost: string | undefined;
  /** Answer this many ms late. */
  delayMs: number;
  /** Answer with this status. */
  status: number;
  /** Requests being answered now. */
  inFlight: number;
  stop(): Promise<void>;
}

export const startServer = async (name: string): Promise<NamedServer> => {
  const state: NamedServer = {
    name,
    port: 0,
    addr: "",
    requests: 0,
    lastHost: undefined,
    lastAt: 0,
    delayMs: 0,
    status: 200,
    inFlight: 0,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    state.requests++;
    state.lastAt = Date.now();
    state.inFlight++;
    state.lastHost = req.headers.host;
    req.resume();
    const answer = () => {
      state.inFlight--;
      res.writeHead(state.status, { "content-type": "text/plain" }).end(name);
    };
    if (state.delayMs > 0) setTimeout(answer, state.delayMs);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, { port, addr: `http://127.0.0.1:${port}`, stop: () => closeAll(server) });
};

const closeAll = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
