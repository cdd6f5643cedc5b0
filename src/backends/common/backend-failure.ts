import { backendError, isNamingError, type NamingError } from "../../model/index.js";

/**
 * How a backend turns what its client failed with into a `NamingError` of tag Backend: final when
 * `isFinal` says retrying cannot cure it (access denied, a request refused as it is), recoverable
 * otherwise. A NamingError passes as it is. docs/registration.md#final-and-retryable-errors
 */
export const backendFailure =
  (isFinal: (e: unknown) => boolean) =>
  (operation: string, key?: string) =>
  (e: unknown): NamingError =>
    isNamingError(e)
      ? e
      : backendError(operation, e, { recoverable: !isFinal(e), ...(key !== undefined && { key }) });
