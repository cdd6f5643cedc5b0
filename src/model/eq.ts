import * as RA from "fp-ts/lib/ReadonlyArray.js";
import * as S from "fp-ts/lib/string.js";
import type { Eq } from "fp-ts/lib/Eq.js";

/** Equality of string lists, element by element (an instance's addrs, a set's addresses). */
export const eqStrings: Eq<readonly string[]> = RA.getEq(S.Eq);
