import type { Instance } from "../index.js";

/** One change of an app, as the console shows it: what changed, at which revision, when. */
export interface HistoryEntry {
  /** The app that changed. */
  readonly appId: string;
  /** The backend revision of the change. */
  readonly revision: string;
  /** Epoch ms when the console saw it. */
  readonly at: number;
  /** Hostnames that came. */
  readonly added: readonly string[];
  /** Hostnames that went. */
  readonly removed: readonly string[];
  /** Hostnames of changed instances, each with what changed: "host-1 (status 1 -> 2)". */
  readonly updated: readonly string[];
}

/** An app as the page receives it: its instances and its recent history, newest last. */
export interface AppView {
  /** The app. */
  readonly appId: string;
  /** The revision its set reflects. */
  readonly revision: string;
  /** Its instances now. */
  readonly instances: readonly Instance[];
  /** What changed, oldest first, while the console runs. */
  readonly history: readonly HistoryEntry[];
}

/** A bounded history: the oldest entries go first once `size` is reached. */
export const appendBounded = <T>(list: T[], entry: T, size: number): void => {
  list.push(entry);
  if (list.length > size) list.splice(0, list.length - size);
};
