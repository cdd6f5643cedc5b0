import { Etcd3, type IOptions } from "etcd3";
import { etcdClientOptions, etcdNaming, type EtcdNamingOptions, type Naming } from "../../src/index.js";
import type { ContractWorld } from "../contract/naming-contract.js";

/**
 * Clients and namings for a test, all closed by `dispose()` in the order rxnaming asks for:
 * every naming first (watches cancelled, leases revoked), then the clients.
 */
export class EtcdWorld implements ContractWorld {
  private readonly clients: Etcd3[] = [];
  private readonly namings: Naming[] = [];
  readonly admin: Etcd3;

  constructor(private readonly clientOptions: () => IOptions) {
    this.admin = this.client();
  }

  client(extra: Partial<IOptions> = {}): Etcd3 {
    const client = new Etcd3(etcdClientOptions({ ...this.clientOptions(), ...extra }));
    this.clients.push(client);
    return client;
  }

  naming(options: EtcdNamingOptions = {}, client: Etcd3 = this.client()): Naming {
    const naming = etcdNaming(client, { lingerMs: 0, ...options });
    this.namings.push(naming);
    return naming;
  }

  async put(key: string, value: string): Promise<void> {
    await this.admin.put(key).value(value).exec();
  }

  async del(key: string): Promise<void> {
    await this.admin.delete().key(key).exec();
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.admin.get(key).string()) ?? undefined;
  }

  async keys(prefix: string): Promise<string[]> {
    return this.admin.getAll().prefix(prefix).keys();
  }

  async dispose(): Promise<void> {
    await Promise.all(this.namings.map((n) => n.close()));
    for (const client of this.clients) client.close();
  }
}
