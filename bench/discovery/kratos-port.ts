/**
 * The Kratos v1/v2 discovery strategy written in TypeScript, as a direct port of Go Kratos'
 * etcd registry would do it (v2 `registry/etcd` `watcher.go`; v1 `naming/etcd` does the same per
 * app): every consumer opens its own prefix watch, and on every watch response it reads the whole
 * prefix again with a `Get` and decodes every value. The Gets of one consumer run one after the
 * other, as Go's `Next()` loop does (one response taken from the channel, one Get), so a consumer
 * that falls behind catches up one Get per response.
 *
 * This is the strategy rxnaming is measured against in the "Kratos strategy" rows; it is bench
 * code, not part of the library.
 */
import type { Etcd3, Watcher } from "etcd3";

/** One consumer: the latest decoded list, as Kratos' `Next()` returns it. */
export class KratosWatcher {
  /** Gets asked for and not finished yet. */
  pending = 0;
  /** Gets finished. */
  fetched = 0;
  /** Header revision of the last Get. */
  revision = 0;
  latest: readonly unknown[] = [];
  private chain: Promise<void> = Promise.resolve();
  private watcher: Watcher | undefined;

  private constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly onSet: (w: KratosWatcher) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  /**
   * Kratos' `NewWatcher` then the first `Next()`: the watch is created, then the first Get
   * gives the initial list. Resolves once the watch exists; `onSet` is called after every Get.
   */
  static async start(
    client: Etcd3,
    prefix: string,
    onSet: (w: KratosWatcher) => void,
    onError: (e: unknown) => void,
  ): Promise<KratosWatcher> {
    const w = new KratosWatcher(client, prefix, onSet, onError);
    w.watcher = await client.watch().prefix(prefix).create();
    w.watcher.on("data", () => w.fetch());
    w.fetch();
    return w;
  }

  private fetch(): void {
    this.pending++;
    this.chain = this.chain.then(async () => {
      try {
        const res = await this.client.getAll().prefix(this.prefix).exec();
        const items = new Array<unknown>(res.kvs.length);
        for (let i = 0; i < res.kvs.length; i++) items[i] = JSON.parse(res.kvs[i]!.value.toString());
        this.latest = items;
        this.revision = Number(res.header.revision);
      } catch (e) {
        this.onError(e);
      } finally {
        this.pending--;
        this.fetched++;
      }
      this.onSet(this);
    });
  }

  async cancel(): Promise<void> {
    await this.watcher?.cancel();
    await this.chain;
  }
}
