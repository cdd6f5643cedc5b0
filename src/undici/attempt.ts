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

/**
 * One attempt of a request on one picked instance: passes undici's callbacks through to the
 * caller's handler, and tells the balancer how the instance did, once, when the response starts
 * (its status and the time to its headers) or when the attempt fails before that.
 */
export class Attempt implements Dispatcher.DispatchHandler {
  private readonly startedAt = performance.now();
  private responded = false;

  constructor(
    private readonly owner: AttemptOwner,
    private readonly pick: Pick,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.owner.handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestUpgrade"]>>[2],
    socket: Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestUpgrade"]>>[3],
  ): void {
    this.learn(undefined);
    this.owner.handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseStart"]>>[2],
    statusMessage?: string,
  ): void {
    // A 5xx is the instance failing; a 4xx is the caller's request.
    this.learn(statusCode >= 500 ? new Error(`HTTP ${statusCode}`) : undefined);
    this.owner.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.owner.handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseEnd"]>>[1],
  ): void {
    this.owner.handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController | null, error: Error): void {
    if (!this.responded) {
      this.learn(error);
      if (this.owner.retry(error, this.pick)) return;
    }
    this.owner.handler.onResponseError?.(controller as Dispatcher.DispatchController, error);
  }

  private learn(error: Error | undefined): void {
    this.responded = true;
    const latencyMs = performance.now() - this.startedAt;
    this.pick.done(error === undefined ? { latencyMs } : { error, latencyMs });
  }
}
