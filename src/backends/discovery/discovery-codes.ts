/**
 * The codes of the server's answers (`{"code":..,"message":..,"data":..}`, always HTTP 200):
 * bilibili's ecode values that this client acts on. Any other code is an answer it does not
 * understand, reported as a fault of the node that gave it.
 */
export const CODE = {
  ok: 0,
  notModified: -304,
  badRequest: -400,
  nothingFound: -404,
  conflict: -409,
  serverError: -500,
  unavailable: -503,
  deadline: -504,
} as const;

const known = new Set<number>(Object.values(CODE));

/** Whether the client knows what `code` means. */
export const isKnownCode = (code: number): boolean => known.has(code);

/** Codes that say the node (not the request) is at fault: the next node is asked instead. */
export const isNodeFault = (code: number): boolean =>
  code === CODE.serverError || code === CODE.unavailable || code === CODE.deadline || !isKnownCode(code);
