import { instance } from "../index.js";
import { usageError } from "./cli-error.js";
import { printableOption } from "./option-text.js";

/** Checks an appid argument as the library would, so a bad one is a usage error before connecting. */
export const checkAppId = (appId: string): string => {
  printableOption("appid", appId);
  const result = instance({ appId, hostname: "x" });
  if (result._tag === "Left")
    throw usageError(`appid "${appId}": ${result.left.message.replace(/^invalid instance: appId /, "")}`);
  return appId;
};
