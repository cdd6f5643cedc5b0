import type { Etcd3, IKeyValue, Watcher } from "etcd3";
import { BehaviorSubject } from "rxjs";
import type { Instance, LayoutName } from "../index.js";
import { layoutNamed, type KeyLayout } from "../layouts.js";
import type { Fleet, LeaseTtl } from "./fleet.js";

/** Where {@link etcdFleet} looks: the naming's layout and prefix. */
export interface EtcdFleetOptions {
  /** Default "kratos-v1". */
  readonly layout?: LayoutName;
  /** Default: the layout's own prefix. */
  readonly prefix?: string;
  /** How long to wait before reading the keys again after the prefix watch failed, in ms. Default 1,000. */
  readonly retryMs?: number;
}

interface Held {
  readonly appId: string;
  readonly hostname: string;
  readonly lease: string;
}

/** The prefix under which every app of the layout lives: an app's prefix without the app. */
const rootOf = (layout: KeyLayout): string => layout.appPrefix("x").slice(0, -"x/".length);

/** The app and hostname a key names, or undefined for a key that fits no app of the layout. */
const placeOf = (layout: KeyLayout, root: string, key: string): Omit<Held, "lease"> | undefined => {
  if (!key.startsWith(root)) return undefined;
  const rest = key.slice(root.length);
  const cut = rest.lastIndexOf("/");
  if (cut <= 0) return undefined;
  const appId = rest.slice(0, cut);
  if (layout.appIdProblem(appId) !== undefined) return undefined;
  const hostname = layout.hostnameOf(appId, key);
  return typeof hostname === "string" ? { appId, hostname } : undefined;
};

/**
 * What the console learns from etcd beside the naming's watches, over the user's own `etcd3`
 * client: the apps under the prefix (one range of the prefix, then one prefix watch), each key's
 * lease (from the same keys) and its remaining TTL (etcd's LeaseTimeToLive, asked while a page
 * shows the app), and writes that rewrite a key in place under its own lease, only if it has not
 * changed since it was read. See docs/console.md.
 */
export const etcdFleet = (client: Etcd3, options: EtcdFleetOptions = {}): Fleet => {
  const layout = layoutNamed(options.layout ?? "kratos-v1", options.prefix);
  const root = rootOf(layout);
  const retryMs = options.retryMs ?? 1_000;
  const held = new Map<string, Held>();
  // The key of each instance, by app and hostname: what the TTL and write routes look up.
  const keyOf = new Map<string, string>();
  const name = (appId: string, hostname: string): string => `${appId}\n${hostname}`;
  const apps = new BehaviorSubject<readonly string[]>([]);
  let watcher: Watcher | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const hold = (kv: IKeyValue): void => {
    const key = kv.key.toString();
    const place = placeOf(layout, root, key);
    if (place === undefined) return;
    held.set(key, { ...place, lease: kv.lease });
    keyOf.set(name(place.appId, place.hostname), key);
    if (!apps.value.includes(place.appId)) apps.next([...apps.value, place.appId].sort());
  };

  const start = async (): Promise<void> => {
    try {
      const read = await client.getAll().prefix(root).exec();
      if (closed) return;
      held.clear();
      keyOf.clear();
      read.kvs.forEach(hold);
      const w = await client
        .watch()
        .prefix(root)
        .startRevision(String(BigInt(read.header.revision) + 1n))
        .create();
      if (closed) return void w.cancel().catch(() => undefined);
      watcher = w;
      w.on("put", hold);
      w.on("delete", (kv) => {
        const key = kv.key.toString();
        const gone = held.get(key);
        held.delete(key);
        if (gone !== undefined && keyOf.get(name(gone.appId, gone.hostname)) === key) {
          keyOf.delete(name(gone.appId, gone.hostname));
        }
      });
      // A watch etcd ended (a compacted revision, a lost permission): read the keys again.
      w.on("error", () => again(w));
    } catch {
      again(undefined);
    }
  };
  const again = (w: Watcher | undefined): void => {
    if (closed || retry !== undefined) return;
    void w?.cancel().catch(() => undefined);
    if (watcher === w) watcher = undefined;
    retry = setTimeout(() => {
      retry = undefined;
      void start();
    }, retryMs);
  };
  void start();

  const find = (appId: string, hostname: string): [string, Held] | undefined => {
    const key = keyOf.get(name(appId, hostname));
    const found = key === undefined ? undefined : held.get(key);
    return found === undefined ? undefined : [key!, found];
  };

  return {
    apps$: apps.asObservable(),
    leaseTtl: async (appId, hostname): Promise<LeaseTtl | undefined> => {
      const found = find(appId, hostname);
      if (found === undefined || found[1].lease === "0") return undefined;
      const answer = await client.leaseClient.leaseTimeToLive({ ID: found[1].lease, keys: false });
      const remaining = Number(answer.TTL);
      // etcd answers -1 for a lease that has expired (or was revoked).
      if (remaining < 0) return undefined;
      return { remainingSeconds: remaining, grantedSeconds: Number(answer.grantedTTL), at: Date.now() };
    },
    write: async (appId, hostname, change: (instance: Instance) => Instance) => {
      const found = find(appId, hostname);
      if (found === undefined) throw new Error(`${appId}/${hostname} is not in etcd`);
      const [key] = found;
      const read = await client.get(key).exec();
      const kv = read.kvs[0];
      if (kv === undefined) throw new Error(`${key} is gone`);
      const current = layout.decode({ key, appId, hostname }, kv.value.toString());
      if (current._tag === "Left") throw current.left;
      const next = change(current.right);
      // Only if nobody wrote the key since it was read; the lease stays the owner's.
      const result = await client
        .if(key, "Mod", "==", kv.mod_revision)
        .then(client.put(key).value(layout.encode(next)).ignoreLease())
        .commit();
      if (!result.succeeded) throw new Error(`${key} changed meanwhile: try again`);
    },
    close: () => {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      void watcher?.cancel().catch(() => undefined);
      apps.complete();
    },
  };
};
