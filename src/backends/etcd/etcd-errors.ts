import {
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
} from "etcd3";
import { backendError, isNamingError, type NamingError } from "../../model/index.js";

// What retrying cannot cure: the credentials or the role are wrong. Everything else (a member
// down, a leader election, a broken circuit, a deadline) passes.
const FINAL = [
  EtcdPermissionDeniedError,
  EtcdAuthenticationFailedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
];

/** True when an etcd error (or a watch cancel reason) says access is denied. */
export const isAccessDenied = (e: unknown): boolean =>
  FINAL.some((type) => e instanceof type) ||
  (e instanceof Error &&
    /permission denied|authentication failed|user name not found|role is not granted/i.test(e.message));

/** An etcd error as a NamingError of tag Backend, recoverable unless access is denied. */
export const etcdError =
  (operation: string, key?: string) =>
  (e: unknown): NamingError =>
    isNamingError(e)
      ? e
      : backendError(operation, e, { recoverable: !isAccessDenied(e), ...(key !== undefined && { key }) });

/** Rejects after `ms` with a deadline error; the timer never keeps the process alive. */
export const withDeadline = <A>(operation: string, ms: number, promise: Promise<A>): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${operation} got no answer within ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
