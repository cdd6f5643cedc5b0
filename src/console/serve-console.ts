import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { interval, type Subscription } from "rxjs";
import type { Naming } from "../index.js";
import { ClientView } from "./client-view.js";
import { checkConsoleOptions, type ConsoleOptions } from "./console-options.js";
import type { Fleet } from "./fleet.js";
import { FleetWatch } from "./fleet-watch.js";
import { pageCss, pageHtml, pageJs } from "./page.js";
import { answerWrite } from "./write-route.js";

/** A console being served: where, the write token (when writes are on), and the client's view. */
export interface ConsoleServer {
  /** "http://127.0.0.1:8080/" */
  readonly url: string;
  /** The port it listens on (the one picked, for port 0). */
  readonly port: number;
  /** The token write requests must carry; undefined when writes are off. */
  readonly token: string | undefined;
  /** The client's view shown on the page: wrap balancers with `view.track()`. */
  readonly view: ClientView;
  /** Stops serving: ends every page's stream and every watch the console opened. */
  close(): Promise<void>;
}

const assets: Record<string, { readonly type: string; readonly body: string }> = {
  "/": { type: "text/html; charset=utf-8", body: pageHtml },
  "/console.js": { type: "text/javascript; charset=utf-8", body: pageJs },
  "/console.css": { type: "text/css; charset=utf-8", body: pageCss },
};

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

const MAX_BUFFERED = 8 * 1024 * 1024;

const loopbacks = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Serves the live console of `naming`'s fleet: apps, instances, lease TTLs, change history, and
 * the client's view of this process's balancers. Everything is pushed over server-sent events from
 * the naming's shared watches. Binds to loopback unless `host` says otherwise; writes only with
 * `allowWrites` and the token. Wrong options throw an `InvalidOption` NamingError.
 *
 * @example
 * const ui = await serveConsole(naming, { port: 0, apps: ["demo.service"] });
 * resolver.instances$.pipe(p2c(), ui.view.track()).subscribe((p) => (picker = p));
 * console.log(ui.url);
 */
export const serveConsole = async (naming: Naming, options: ConsoleOptions = {}): Promise<ConsoleServer> => {
  checkConsoleOptions(options);
  const host = options.host ?? "127.0.0.1";
  const fleet: Fleet | undefined = options.fleet;
  const view = options.view ?? new ClientView();
  const writes =
    options.allowWrites === true
      ? { token: options.token ?? randomBytes(24).toString("base64url") }
      : undefined;
  const ttlRefreshMs = options.ttlRefreshMs ?? 2_000;
  const watch = new FleetWatch(naming, options.historySize ?? 200);
  watch.follow(options.apps ?? []);
  const subscriptions: Subscription[] = [];
  if (fleet !== undefined)
    subscriptions.push(fleet.apps$.subscribe({ next: (apps) => watch.follow(apps), error: () => undefined }));
  const open = new Set<ServerResponse>();

  const server: Server = createServer((req, res) => {
    route(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, "the console failed to answer");
      else res.destroy();
    });
  });
  const hostAllowed = (req: IncomingMessage): boolean => {
    // A page of another site may resolve its own name to 127.0.0.1 (DNS rebinding): on loopback,
    // only the loopback names are accepted in Host.
    if (!loopbacks.has(host)) return true;
    const name = (req.headers.host ?? "").replace(/:\d+$/, "");
    return loopbacks.has(name);
  };

  const stream = (res: ServerResponse): ((event: unknown) => void) => {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      connection: "keep-alive",
    });
    open.add(res);
    res.on("close", () => open.delete(res));
    return (event) => {
      // A page that stops reading would make the server buffer without end: drop it instead; its
      // EventSource reconnects and starts again from a snapshot.
      if (res.writableLength > MAX_BUFFERED) return void res.destroy();
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    };
  };

  const events = (res: ServerResponse): void => {
    const send = stream(res);
    send({ type: "snapshot", apps: watch.snapshot(), writes: writes !== undefined, uses: view.all() });
    let seen = view.changes;
    const subs = [
      watch.changes$.subscribe(send),
      interval(1_000).subscribe(() => {
        if (view.changes === seen) return void res.write(": ping\n\n");
        seen = view.changes;
        send({ type: "uses", uses: view.all() });
      }),
    ];
    res.on("close", () => subs.forEach((s) => s.unsubscribe()));
  };

  const ttls = (res: ServerResponse, appId: string): void => {
    const send = stream(res);
    const leaseTtl = fleet?.leaseTtl?.bind(fleet);
    if (leaseTtl === undefined) return void send({ type: "ttl", appId, leases: null });
    let asking = false;
    const ask = async (): Promise<void> => {
      if (asking) return;
      asking = true;
      try {
        const leases = await Promise.all(
          watch.instancesOf(appId).map(async (i) => {
            const ttl = await leaseTtl(appId, i.hostname).catch(() => undefined);
            return [i.hostname, ttl] as const;
          }),
        );
        const known = leases.filter(([, ttl]) => ttl !== undefined);
        if (!res.writableEnded) send({ type: "ttl", appId, leases: Object.fromEntries(known) });
      } finally {
        asking = false;
      }
    };
    void ask();
    const sub = interval(ttlRefreshMs).subscribe(() => void ask());
    res.on("close", () => sub.unsubscribe());
  };

  const answer = (res: ServerResponse, status: number, message: string): void => {
    res.writeHead(status, { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ message }));
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req)) return answer(res, 421, "unknown host: open the console by its loopback address");
    const url = new URL(req.url ?? "/", "http://console");
    if (url.pathname === "/api/write") {
      if (req.method !== "POST") return answer(res, 405, "POST only");
      const result = await answerWrite(req, writes, fleet);
      return answer(res, result.status, result.message);
    }
    if (req.method !== "GET" && req.method !== "HEAD")
      return answer(res, 405, "this console route only reads");
    const asset = assets[url.pathname];
    if (asset !== undefined) {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        "content-type": asset.type,
        "content-length": Buffer.byteLength(asset.body),
      });
      return void res.end(req.method === "HEAD" ? undefined : asset.body);
    }
    if (url.pathname === "/events") return events(res);
    if (url.pathname === "/ttl") return ttls(res, url.searchParams.get("app") ?? "");
    return answer(res, 404, "not found");
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    token: writes?.token,
    view,
    close: async () => {
      subscriptions.forEach((s) => s.unsubscribe());
      for (const res of open) res.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      watch.close();
      fleet?.close?.();
    },
  };
};
