import type { Duplex as Socket } from "node:stream";
import type { Dispatcher } from "undici";
import type { Pick } from "../index.js";

/** What an attempt hands back to the request it belongs to. */
export interface AttemptOwner {
  /** The caller's handler: every callback of a successful attempt goes there. */
  readonly handler: Dispatcher.DispatchHandler;
  /**
   * The attempt failed before any byte of a response: whether the owner sent the request again
   * (on another instance). If not, the error goes to the caller.
   */
  retry(error: Error, failed: Pick): boolean;
}

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;

/** The callbacks of a handler for which {@link takesCallbacks} holds. */
interface Callbacks {
  onConnect(abort: (err?: Error) => void, context?: unknown): void;
  onResponseStarted?(): void;
  onUpgrade?(statusCode: number, headers: Buffer[] | string[] | null, socket: Socket): void;
  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onBodySent?(chunkSize: number, totalBytesSent: number): void;
  onError(error: Error): void;
}

/**
 * One attempt of a request on one picked instance: tells the balancer how the instance did, once,
 * when the response starts (by its status) or when the attempt fails before that. A balancer that
 * learns from latency (p2c) measures it from its pick to then, which is the time to the headers:
 * no clock is read here for balancers that need none. The two kinds below pass undici's callbacks
 * through to the caller's handler.
 */
abstract class Attempt {
  private responded = false;

  constructor(
    protected readonly owner: AttemptOwner,
    private readonly pick: Pick,
  ) {}

  /** The attempt failed: true if the owner took the error (and sent the request again). */
  protected retried(error: Error): boolean {
    if (this.responded) return false;
    this.learn(error);
    return this.owner.retry(error, this.pick);
  }

  /** Tells the balancer, the first time only (a 1xx response may come before the final one). */
  protected learn(error: Error | undefined): void {
    if (this.responded) return;
    this.responded = true;
    this.pick.done(error === undefined ? undefined : { error });
  }
}

// A 5xx is the instance failing; a 4xx is the caller's request.
const failure = (statusCode: number): Error | undefined =>
  statusCode >= 500 ? new Error(`HTTP ${statusCode}`) : undefined;

/**
 * An attempt for a caller's handler of undici's controller API (`onRequestStart`,
 * `onResponseStart`, ...). The pool wraps it into its callbacks (and parses the headers).
 */
export class ControllerAttempt extends Attempt implements Handler {
  onRequestStart(controller: Controller, context: unknown): void {
    this.owner.handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Controller,
    statusCode: number,
    headers: Parameters<NonNullable<Handler["onRequestUpgrade"]>>[2],
    socket: Parameters<NonNullable<Handler["onRequestUpgrade"]>>[3],
  ): void {
    this.learn(undefined);
    this.owner.handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Parameters<NonNullable<Handler["onResponseStart"]>>[2],
    statusMessage?: string,
  ): void {
    this.learn(failure(statusCode));
    this.owner.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.owner.handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(
    controller: Controller,
    trailers: Parameters<NonNullable<Handler["onResponseEnd"]>>[1],
  ): void {
    this.owner.handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Controller | null, error: Error): void {
    if (!this.retried(error)) this.owner.handler.onResponseError?.(controller as Controller, error);
  }
}

/**
 * An attempt for a caller's handler that takes undici's callbacks (`onConnect`, `onHeaders`, ...),
 * which is what undici's pools speak: headers pass through raw, with nothing to convert.
 */
export class CallbackAttempt extends Attempt implements Callbacks {
  private readonly callbacks = this.owner.handler as Callbacks;

  onConnect(abort: (err?: Error) => void, context?: unknown): void {
    this.callbacks.onConnect(abort, context);
  }

  onResponseStarted(): void {
    this.callbacks.onResponseStarted?.();
  }

  onUpgrade(statusCode: number, headers: Buffer[] | string[] | null, socket: Socket): void {
    this.learn(undefined);
    this.callbacks.onUpgrade?.(statusCode, headers, socket);
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    this.learn(failure(statusCode));
    return this.callbacks.onHeaders(statusCode, headers, resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    return this.callbacks.onData(chunk);
  }

  onComplete(trailers: string[] | null): void {
    this.callbacks.onComplete(trailers);
  }

  onBodySent(chunkSize: number, totalBytesSent: number): void {
    this.callbacks.onBodySent?.(chunkSize, totalBytesSent);
  }

  onError(error: Error): void {
    if (!this.retried(error)) this.callbacks.onError(error);
  }
}

/**
 * Whether a caller's handler takes undici's callbacks. The handler an interceptor receives from
 * `compose` has them when the caller's did (`request`, `fetch`, `stream`): undici wraps it into
 * one that offers both forms and passes the callbacks through unchanged.
 */
export const takesCallbacks = (handler: Handler): boolean =>
  typeof handler.onConnect === "function" &&
  typeof handler.onHeaders === "function" &&
  typeof handler.onData === "function" &&
  typeof handler.onComplete === "function" &&
  typeof handler.onError === "function";
