import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { isCliError, usageError } from "./cli-error.js";

/** The largest certificate or key file read: a bundle of many CAs is a few hundred KB. */
const MAX_PEM_BYTES = 1024 * 1024;

/**
 * Reads a PEM file given to an option (`--cacert`, `--cert`, `--key`), or fails with a usage error
 * naming the option and the file. Only a regular file of at most 1 MiB is read: `/dev/zero` would
 * never end and a FIFO would wait for a writer for ever. Opened without blocking, so even a FIFO
 * is refused at once; a regular file that small is read in one go.
 */
export const readPem = (flag: string, file: string | undefined): Buffer | undefined => {
  if (file === undefined) return undefined;
  const refuse = (why: string): never => {
    throw usageError(`${flag} ${file}: ${why}`);
  };
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return refuse(`cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return refuse("not a regular file (give the path of a PEM file)");
    if (stat.size > MAX_PEM_BYTES) return refuse("larger than 1 MiB: not a certificate or key");
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = readSync(fd, buffer, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } catch (e) {
    if (isCliError(e)) throw e;
    return refuse(`cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  } finally {
    closeSync(fd);
  }
};
