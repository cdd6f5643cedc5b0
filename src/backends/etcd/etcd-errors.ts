import {
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
} from "etcd3";
import { backendFailure } from "../common/backend-failure.js";

// Access that etcd denies: the credentials or the role are wrong.
const DENIED = [
  EtcdPermissionDeniedError,
  EtcdAuthenticationFailedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
];
// A request etcd refuses as it is, whoever sends it and however often: a lease TTL out of range,
// a value over its request limit, an invalid argument.
const REFUSED = [GRPCOutOfRangeError, GRPCInvalidArgumentError];

/** True when an etcd error (or a watch cancel reason) says access is denied. */
export const isAccessDenied = (e: unknown): boolean =>
  DENIED.some((type) => e instanceof type) ||
  (e instanceof Error &&
    /permission denied|authentication failed|user name not found|role is not granted/i.test(e.message));

/**
 * True when retrying cannot cure what etcd answered: access denied, or a request refused as
 * invalid. Everything else (a member down, a leader election, a broken circuit, a deadline) can be.
 * See docs/registration.md#final-and-retryable-errors.
 */
export const isFinal = (e: unknown): boolean =>
  isAccessDenied(e) ||
  // A read at a compacted or future revision is out of range too, and is cured by reading again.
  (REFUSED.some((type) => e instanceof type) && !/compacted|future revision/i.test((e as Error).message));

/** An etcd error as a NamingError of tag Backend, recoverable unless it is final. */
export const etcdError = backendFailure(isFinal);
