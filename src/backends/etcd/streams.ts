/** A gRPC duplex stream as the `etcd3` client hands it out. */
export interface DuplexStream<Req, Res> {
  write(request: Req): unknown;
  end(): unknown;
  cancel(): void;
  on(event: "data", listener: (res: Res) => void): this;
  on(event: "error", listener: (err: Error) => void): this;
  on(event: "end", listener: () => void): this;
  readonly writable?: boolean;
}

/** Half-closes, then cancels: `writable` is false by the time the cancel's error fires, so the
 * client's circuit breaker does not count a stream we ended ourselves as a failure. */
export const quietlyClose = (stream: DuplexStream<unknown, unknown>): void => {
  stream.on("error", () => undefined);
  try {
    stream.end();
  } catch {
    // already ended
  }
  stream.cancel();
};

/** Writes to a stream that may have ended meanwhile: its end is handled where it is seen. */
export const quietlyWrite = <Req>(stream: DuplexStream<Req, unknown>, request: Req): void => {
  try {
    stream.write(request);
  } catch {
    // write after end: the stream's error or end event re-makes it
  }
};
