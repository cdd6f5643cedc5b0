import { describe, expect, it } from "vitest";
import { conditionalWrite, type WriteTry } from "../../../src/backends/common/conditional-write.js";
import { isNamingError } from "../../../src/model/index.js";

/** A write whose tries go as scripted; records what the loop did. */
const scripted = (
  tries: WriteTry<string>[],
  wroteBefore = false,
  takeFrom: "anyone" | string[] = "anyone",
) => {
  const seen = { tries: 0, taken: [] as string[], displaced: [] as string[] };
  const write = conditionalWrite({
    key: "/k",
    takeFrom,
    wroteBefore,
    maxTries: 3,
    tryWrite: async () => tries[seen.tries++] ?? { changed: true },
    displaced: (holder) => seen.displaced.push(holder),
    gaveUp: () => new Error("changed under the write 3 times"),
  });
  return { seen, write };
};

describe("conditionalWrite", () => {
  it("tries again after a change until a try writes", async () => {
    const { seen, write } = scripted([{ changed: true }, { changed: true }, { written: "7" }]);
    expect(await write).toBe("7");
    expect(seen.tries).toBe(3);
  });

  it("gives up after maxTries changes, with the caller's error", async () => {
    const { seen, write } = scripted([]);
    await expect(write).rejects.toThrow("changed under the write 3 times");
    expect(seen.tries).toBe(3);
  });

  it("takes a key from a holder takeFrom allows, then tries again", async () => {
    const taken: string[] = [];
    const { seen, write } = scripted(
      [{ changed: true, holder: "old", take: async () => void taken.push("old") }, { written: "9" }],
      false,
      ["old"],
    );
    expect(await write).toBe("9");
    expect(taken).toEqual(["old"]);
    expect(seen.displaced).toEqual([]);
  });

  it("never takes from a holder takeFrom does not name: a Duplicate error, nothing displaced", async () => {
    const taken: string[] = [];
    const { seen, write } = scripted(
      [{ changed: true, holder: "other", take: async () => void taken.push("x") }],
      false,
      ["old"],
    );
    const error: unknown = await write.catch((e: unknown) => e);
    expect(isNamingError(error) && error._tag).toBe("Duplicate");
    expect(taken).toEqual([]);
    expect(seen.displaced).toEqual([]);
  });

  it("never takes back a key it wrote before: displaced, once, and a Duplicate error", async () => {
    const { seen, write } = scripted([{ changed: true, holder: "newer" }], true);
    const error: unknown = await write.catch((e: unknown) => e);
    expect(isNamingError(error) && error._tag).toBe("Duplicate");
    expect(seen.displaced).toEqual(["newer"]);
    expect(seen.tries).toBe(1);
  });
});
