import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { trackResource, untrackResource } from "./registry.js";
import { makeTempDir, removeTempDir } from "./temp-dirs.js";

/** Paths (for etcd and etcdctl flags) and contents (for the etcd3 client) of a throwaway PKI. */
export interface TlsMaterial {
  readonly dir: string;
  readonly caFile: string;
  /** Server cert: SAN IP:127.0.0.1, DNS:localhost; usable as client cert too (etcd's own gateway). */
  readonly certFile: string;
  readonly keyFile: string;
  /** Client cert, CN = clientCommonName (etcd maps it to a user when auth is on). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** `credentials` for `new Etcd3(...)`: trust the CA and present the client cert. */
  readonly credentials: { rootCertificate: Buffer; privateKey: Buffer; certChain: Buffer };
}

export interface TlsOptions {
  /** CN of the client cert (default "root"). */
  readonly clientCommonName?: string;
}

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { cwd, timeout: 20_000 }, (error, _stdout, stderr) => {
      if (error) {
        const hint = (error as NodeJS.ErrnoException).code === "ENOENT" ? " (is openssl installed?)" : "";
        reject(new Error(`openssl ${args.join(" ")} failed${hint}: ${stderr.trim() || error.message}`));
      } else resolve();
    });
  });
}

// P-256 keys: generated in milliseconds (RSA-2048 takes ~100 ms each), accepted by etcd and grpc-js.
const NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function issue(dir: string, base: string, subject: string, extensions: string): Promise<void> {
  await openssl(["req", ...NEW_KEY, "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", subject], dir);
  await writeFile(join(dir, `${base}.ext`), extensions);
  await openssl(
    ["x509", "-req", "-in", `${base}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"].concat([
      "-out",
      `${base}.crt`,
      "-days",
      "2",
      "-extfile",
      `${base}.ext`,
    ]),
    dir,
  );
}

/**
 * Makes a CA, a server cert and a client cert with openssl in `dir` (default: a fresh temp dir,
 * removed by disposeAll or at exit). Valid for 2 days: long enough for any run, short if leaked.
 */
export async function makeTlsMaterial(dir?: string, options: TlsOptions = {}): Promise<TlsMaterial> {
  const owned = dir === undefined ? makeTempDir("tls") : undefined;
  const where = dir ?? owned!;
  if (owned !== undefined) {
    // Registered so disposeAll removes it like any other harness resource.
    const resource = {
      dispose: async () => {
        untrackResource(resource);
        removeTempDir(owned);
      },
    };
    trackResource(resource);
  }
  await openssl(
    [
      "req",
      "-x509",
      ...NEW_KEY,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=rxnaming-test-ca",
    ],
    where,
  );
  // etcd's gRPC gateway dials its own server with the server cert, so with --client-cert-auth that cert
  // needs clientAuth too, or etcd logs "bad certificate" for its internal connection.
  await issue(
    where,
    "server",
    "/CN=localhost",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  await issue(where, "client", `/CN=${options.clientCommonName ?? "root"}`, "extendedKeyUsage=clientAuth\n");
  const file = (name: string): string => join(where, name);
  const [ca, cert, key, clientCert, clientKey] = await Promise.all(
    ["ca.crt", "server.crt", "server.key", "client.crt", "client.key"].map((n) => readFile(file(n))),
  );
  return {
    dir: where,
    caFile: file("ca.crt"),
    certFile: file("server.crt"),
    keyFile: file("server.key"),
    clientCertFile: file("client.crt"),
    clientKeyFile: file("client.key"),
    ca: ca!,
    cert: cert!,
    key: key!,
    clientCert: clientCert!,
    clientKey: clientKey!,
    credentials: { rootCertificate: ca!, privateKey: clientKey!, certChain: clientCert! },
  };
}
