import { discoveryNaming, type Naming } from "../index.js";
import { CliError, oneLine, usageError } from "./cli-error.js";
import type { ConnectionOptions } from "./connection-options.js";
import type { NamingConnection, NamingUse } from "./naming-from-options.js";

/**
 * bilibili discovery (`--discovery <nodes>`): the nodes comma-separated; the zone, environment
 * and region from `ZONE`, `DEPLOY_ENV` and `REGION`, as Kratos v1 services read them (default
 * sh001, dev, sh). Every peer is a naming of its own. The first read of the app within
 * `--dial-timeout` stands for etcd's probe.
 */
export const discoveryFromOptions = async (
  nodes: string,
  options: ConnectionOptions,
  use: NamingUse,
): Promise<NamingConnection> => {
  if (options.layout !== "kratos-v1" || options.prefix !== undefined) {
    throw usageError("--layout and --prefix are for etcd and ZooKeeper; discovery keeps instances by appid");
  }
  const namings: Naming[] = [];
  const make = (): Naming => {
    let naming: Naming;
    try {
      naming = discoveryNaming({
        nodes: nodes.split(",").map((n) => n.trim().replace(/^https?:\/\//, "")),
        zone: process.env.ZONE || "sh001",
        env: process.env.DEPLOY_ENV || "dev",
        region: process.env.REGION || "sh",
        fetchTimeoutMs: options.dialTimeout,
        requestTimeoutMs: options.dialTimeout,
      });
    } catch (e) {
      throw usageError(`--discovery "${nodes}": ${oneLine(e)}`);
    }
    namings.push(naming);
    return naming;
  };
  const naming = make();
  const first = await naming.build(use.appId).fetch()();
  if (first._tag === "Left") {
    await naming.close();
    throw new CliError(
      `discovery at ${nodes} did not answer within ${options.dialTimeout} ms: is it running and reachable?`,
      1,
    );
  }
  return {
    where: `discovery ${nodes}`,
    naming,
    peer: () => ({
      naming: make(),
      leaseLoss: {
        how: () => "would be forgotten by the server: on discovery the demo leaves its registration alone",
        begin: async () => undefined,
      },
    }),
    explain: oneLine,
    // The library gives no other sign: a second with no new fault means the stream is back.
    answers: async () => true,
    close: async () => {
      await Promise.all(namings.map((n) => n.close()));
    },
  };
};
