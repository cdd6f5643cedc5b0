import { Etcd3 } from "etcd3";
import { expect, test } from "vitest";
import { makeTlsMaterial, startEtcd, startProxy, useHarnessCleanup } from "../harness/index.js";
import { testClient } from "./client.js";

useHarnessCleanup();

test("TLS material from openssl serves a TLS etcd with client-cert auth, also through the proxy", async () => {
  const tls = await makeTlsMaterial();
  const etcd = await startEtcd({ tls: { ...tls, clientCertAuth: true } });
  expect(etcd.endpoint).toBe(`https://localhost:${etcd.clientPort}`);

  const client = new Etcd3(etcd.clientOptions());
  const proxy = await startProxy(etcd);
  expect(proxy.endpoint).toBe(`https://localhost:${proxy.port}`);
  const viaProxy = new Etcd3({ hosts: [proxy.endpoint], credentials: tls.credentials });
  // Trusting the CA is not enough: etcd demands a client certificate.
  const noCert = testClient({ hosts: [etcd.endpoint], credentials: { rootCertificate: tls.ca } });
  try {
    await client.put("/tls").value("ok");
    expect(await viaProxy.get("/tls").string()).toBe("ok");
    expect(await etcd.etcdctl(["get", "/tls", "--print-value-only"])).toBe("ok\n");
    await expect(noCert.get("/tls").string()).rejects.toThrow();
  } finally {
    client.close();
    viaProxy.close();
    noCert.close();
  }
});
