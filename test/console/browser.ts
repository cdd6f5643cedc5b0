// Debian's chromium, driven by playwright-core: the console is tested in a real browser.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** The chromium to drive: CHROMIUM_BIN, or Debian's. */
export const chromiumPath = (): string => {
  const path = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `no chromium at ${path}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_BIN`,
    );
  }
  return path;
};

/** A headless chromium; close it in afterAll. */
export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath(),
    // The sandbox needs user namespaces, which containers often lack; the pages are our own.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
