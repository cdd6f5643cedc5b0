import { createServer } from "node:net";

/**
 * A loopback TCP port that was free a moment ago: the OS picks it (listen on port 0), we read it and
 * close. Another process may take it before the caller binds it; startEtcd retries on
 * "address already in use" for that reason.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error(`freePort: unexpected server address ${String(address)}`));
      });
    });
  });
}

/**
 * `count` distinct free ports. The listeners are held open until all are read, so the OS cannot hand
 * the same port out twice within one call.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const server = createServer();
          server.unref();
          server.once("error", reject);
          server.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address !== "object") throw new Error("freePorts: no address");
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}
