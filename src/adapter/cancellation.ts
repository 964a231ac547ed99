// DAP cancel: a request still in flight is answered at once as cancelled, and its own answer,
// when gdb gives it later, is dropped (gdb cannot abort an MI command it has started).
import type { DebugProtocol } from '@vscode/debugprotocol';

export class InFlight {
  private readonly pending = new Map<number, DebugProtocol.Response>();

  begin(response: DebugProtocol.Response): void {
    this.pending.set(response.request_seq, response);
  }

  /** True when the response is still to be sent (it was not cancelled). */
  end(response: DebugProtocol.Response): boolean {
    return this.pending.delete(response.request_seq);
  }

  /** The response of a request still in flight, which the caller answers as cancelled. */
  cancel(requestSeq: number): DebugProtocol.Response | undefined {
    const response = this.pending.get(requestSeq);
    this.pending.delete(requestSeq);
    return response;
  }
}
