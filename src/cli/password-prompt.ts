import { CliError } from "./cli-error.js";

/**
 * Asks for a password on the terminal without echoing it, as etcdctl does. Ctrl-C aborts.
 * Why by hand: readline has no silent mode; raw mode gives each key press to us, unechoed.
 */
export const promptPassword = (question: string): Promise<string> => {
  const input = process.stdin;
  if (!input.isTTY) {
    return Promise.reject(
      new CliError(
        "no password: set ETCDCTL_PASSWORD, or pass --user name:password, or run in a terminal",
        2,
      ),
    );
  }
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let password = "";
    const finish = (error?: CliError): void => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(password);
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003") return finish(new CliError("cancelled", 130));
        if (char === "\u007f" || char === "\b") password = password.slice(0, -1);
        else if (char >= " ") password += char;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on("data", onData);
  });
};
