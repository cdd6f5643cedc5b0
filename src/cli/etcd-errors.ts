import { oneLine, rootCause } from "./cli-error.js";
import { NoAnswer, noAnswerLine } from "./probed-connection.js";

/** What the command was talking to, for the messages. */
export interface EtcdTarget {
  readonly endpoints: readonly string[];
  readonly user?: string | undefined;
  /** The key or prefix it needed, when access to it was the point. */
  readonly keyPrefix?: string | undefined;
  readonly dialTimeoutMs: number;
}

/** What to check when etcd could not be reached. */
export const etcdHint = (target: EtcdTarget): string =>
  target.endpoints.some((u) => u.startsWith("https:"))
    ? "is it running, and do --endpoints (or ETCD_ENDPOINTS), --cacert and, if it wants client certificates, --cert and --key match it?"
    : "is it running, and are --endpoints (or ETCD_ENDPOINTS) right? (https:// and --cacert for TLS)";

const named = (e: unknown, ...names: string[]): boolean =>
  e instanceof Error && names.some((name) => e.name === name || e.constructor.name === name);

/**
 * One line saying what went wrong with etcd and what to do about it. Matches on the error names
 * of the `etcd3` client (and their messages, which survive being wrapped in a NamingError).
 */
export const explainEtcdError = (error: unknown, target: EtcdTarget): string => {
  const e = rootCause(error);
  const text = oneLine(e);
  const where = target.endpoints.join(",");
  if (named(e, "EtcdAuthenticationFailedError") || /authentication failed/i.test(text)) {
    return `etcd at ${where} refused the user name or password of "${target.user ?? ""}": check --user and ETCDCTL_PASSWORD`;
  }
  if (named(e, "EtcdUserNotFoundError") || /user name not found/i.test(text)) {
    return `etcd at ${where} has no user "${target.user ?? ""}": check --user`;
  }
  if (named(e, "EtcdPermissionDeniedError", "EtcdRoleNotGrantedError") || /permission denied/i.test(text)) {
    const what = target.keyPrefix === undefined ? "this" : `${target.keyPrefix}`;
    return target.user === undefined
      ? `etcd at ${where} denied access to ${what}: authentication is on, pass --user (and ETCDCTL_PASSWORD)`
      : `etcd at ${where} denied user "${target.user}" access to ${what}: grant it a role with that permission (etcdctl role grant-permission)`;
  }
  if (/authentication is not enabled/i.test(text)) {
    return `etcd at ${where} has authentication off: drop --user`;
  }
  if (/user name is empty|invalid auth token/i.test(text)) {
    return `etcd at ${where} requires authentication: pass --user (and ETCDCTL_PASSWORD)`;
  }
  const hint = etcdHint(target);
  if (e instanceof NoAnswer || /deadline exceeded/i.test(text)) {
    return noAnswerLine({ kind: "etcd", where, timeoutMs: target.dialTimeoutMs, hint });
  }
  return `cannot reach etcd at ${where} (${shorten(text)}): ${hint}`;
};

// grpc-js says "14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED
// 127.0.0.1:1. Resolution note: ": the part after "Last error" is the one a user can act on.
const shorten = (text: string): string => {
  const last = /Last error: (?:\w*Error: )?(.*?)\.?(?: Resolution note:.*)?$/.exec(text)?.[1];
  const short = last ?? text.replace(/^\d+ [A-Z_]+: /, "");
  return short.length > 100 ? `${short.slice(0, 97)}...` : short;
};
