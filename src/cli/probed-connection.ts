import { CliError } from "./cli-error.js";

/**
 * One call that needs the backend to answer, made before a command starts: clients connect lazily
 * and have no dial time-out of their own, so a silent server would otherwise keep a command waiting
 * without a word (docs/cli.md#time-outs).
 */
export interface Probe {
  /** The backend as the user calls it: "etcd", "ZooKeeper", "discovery". */
  readonly kind: string;
  /** Its endpoints, as the messages name them. */
  readonly where: string;
  /** `--dial-timeout`, in ms. */
  readonly timeoutMs: number;
  /** What the user should check, after the colon. */
  readonly hint: string;
  call(): Promise<unknown>;
  /** The line for a call that failed before the time-out; absent: that the backend did not answer. */
  explain?(error: unknown): string;
}

/** The backend did not answer a call within the dial time-out. */
export class NoAnswer extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "NoAnswer";
  }
}

/** Milliseconds as a user writes them: "3 s", "1.5 s", "0.25 s". */
const inSeconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** The one line every backend gives for silence. */
export const noAnswerLine = (probe: Omit<Probe, "call" | "explain">): string =>
  `${probe.kind} at ${probe.where} did not answer within ${inSeconds(probe.timeoutMs)} (--dial-timeout): ${probe.hint}`;

/**
 * `call`, or a {@link NoAnswer} once `ms` have passed. The timer is the deadline, since a client
 * may retry a call past a deadline of its own.
 */
export const withinDialTimeout = async <A>(ms: number, call: () => Promise<A>): Promise<A> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new NoAnswer(ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Makes a connection and probes it within the dial time-out: what answered comes back open; what
 * did not is closed, and the command fails with a {@link CliError} saying what to check.
 */
export const probedConnection = async <C extends { close(): unknown }>(
  make: () => C | Promise<C>,
  probeOf: (made: C) => Probe,
): Promise<C> => {
  const made = await make();
  const probe = probeOf(made);
  try {
    await withinDialTimeout(probe.timeoutMs, () => probe.call());
    return made;
  } catch (e) {
    await made.close();
    throw new CliError(
      e instanceof NoAnswer || probe.explain === undefined ? noAnswerLine(probe) : probe.explain(e),
    );
  }
};
