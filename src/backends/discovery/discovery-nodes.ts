import { toNamingError, type NamingError } from "../../model/index.js";
import { isNodeFault } from "./discovery-codes.js";
import { callNode, type Answer, type Call } from "./discovery-http.js";

/**
 * The cluster's nodes, in the order given, and the one in use. A call goes to the node in use;
 * when that node fails (unreachable, no answer within the deadline, an answer that is not the
 * server's, a server error), the fault is reported and the next node is asked, in order, each at
 * most once per call. The node that answered stays in use: there is no switching on a timer, as
 * Kratos does, only on a fault.
 */
export class Nodes {
  private current = 0;

  constructor(
    readonly list: readonly string[],
    private readonly report: (error: NamingError) => void,
  ) {}

  /** The node in use now, `host:port`. */
  get inUse(): string {
    return this.list[this.current]!;
  }

  /**
   * The answer of the first node that gives one, starting with the node in use. Rejects with the
   * last node's fault when none does (reported by the caller; those before it are reported here),
   * and with the signal's reason when aborted.
   */
  async call(call: Call): Promise<Answer> {
    let last: NamingError | undefined;
    for (let tried = 0; tried < this.list.length; tried++) {
      if (last !== undefined) this.report(last);
      const at = this.current;
      const node = this.list[at]!;
      try {
        const answer = await callNode(node, call);
        if (isNodeFault(answer.code)) throw nodeFault(call, answer);
        return answer;
      } catch (e) {
        if (call.signal?.aborted === true) throw e;
        last = toNamingError(`${call.path} on ${node}`)(e);
        // Another call may have moved on already: move only from the node that failed.
        if (this.current === at) this.current = (at + 1) % this.list.length;
      }
    }
    throw last!;
  }
}

const nodeFault = (call: Call, answer: Answer): NamingError =>
  toNamingError(`${call.path} on ${answer.node}`)(
    new Error(
      `answered code ${answer.code}${answer.message === "" ? "" : ` (${JSON.stringify(answer.message.slice(0, 200))})`}` +
        (answer.code === -500 || answer.code === -503 || answer.code === -504
          ? ""
          : ", a code this client does not know"),
    ),
  );
