/**
 * The process holding the other party of each connected call this process has a party of, learnt when
 * the call connected: from the claim's reply (the caller's process) and from `connected` (the
 * answerer's). A signal then goes to that process with one PUBLISH instead of a script that reads the
 * call to find it. Forgotten when the call ends here or this process hears it ended; an entry whose end
 * went unheard (its peer's notice lost with the subscriber connection) is dropped oldest first past
 * `limit`. A signal with no entry goes through the script, which is never wrong, only slower.
 */
export class PartyNodes {
  /** call id -> peer id -> its process. */
  private readonly calls = new Map<string, Map<string, string>>();

  constructor(private readonly limit = 100_000) {}

  learn(callId: string, peerId: string, node: string): void {
    let parties = this.calls.get(callId);
    if (parties === undefined) {
      if (this.calls.size >= this.limit) this.calls.delete(this.calls.keys().next().value as string);
      parties = new Map();
      this.calls.set(callId, parties);
    }
    parties.set(peerId, node);
  }

  nodeOf(callId: string, peerId: string): string | undefined {
    return this.calls.get(callId)?.get(peerId);
  }

  forget(callId: string): void {
    this.calls.delete(callId);
  }

  get size(): number {
    return this.calls.size;
  }
}
