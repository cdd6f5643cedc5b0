import { memoryNaming } from "../index.js";
import { MemoryLink, MemoryStore } from "../memory-naming.js";
import { oneLine } from "./cli-error.js";
import { ownedNamings, type KeyOptions, type NamingConnection } from "./naming-connection.js";

/** The embedded in-memory store: one store that every naming of the connection shares. */
export const memoryConnection = (keys: KeyOptions): NamingConnection => {
  const store = new MemoryStore();
  const namings = ownedNamings((link?: MemoryLink) =>
    memoryNaming({ store, ...keys, ...(link && { link }) }),
  );
  return {
    where: "the embedded in-memory store",
    naming: namings.make(),
    backend: { kind: "memory", another: (link) => namings.make(link) },
    explain: oneLine,
    answers: async () => true,
    close: namings.close,
  };
};
