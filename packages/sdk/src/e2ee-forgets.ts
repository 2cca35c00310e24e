/** Forgets remembered per conversation with what they picked. */
const FORGETS_KEPT = 32;

/**
 * The forgets of kept bodies, counted (see OpenedCache): a keep that began (a `mark`) before a
 * forget of its conversation that picks its seq, or before a forget of all, is dropped; a forget
 * of other seqs of its conversation (its state applied again by a later event) is not. The last
 * FORGETS_KEPT of each conversation are remembered with what they picked; a keep older than
 * those is dropped (the safe side).
 */
export class ForgetLog {
  private count = 0;
  private all = 0;
  private readonly recent = new Map<string, { at: number; drop: (seq: number) => boolean }[]>();
  private readonly before = new Map<string, number>();

  mark(): number {
    return this.count;
  }

  /** A forget of a conversation's seqs that `drop` picks. */
  conversation(conversationId: string, drop: (seq: number) => boolean): void {
    const list = this.recent.get(conversationId) ?? [];
    list.push({ at: ++this.count, drop });
    if (list.length > FORGETS_KEPT) this.before.set(conversationId, list.shift()!.at);
    this.recent.set(conversationId, list);
  }

  /** A forget of everything. */
  everything(): void {
    this.all = ++this.count;
  }

  /** Whether a forget since `since` picks this message. */
  since(m: { conversationId: string; seq: number }, since: number): boolean {
    if (this.all > since || (this.before.get(m.conversationId) ?? 0) > since) return true;
    return (this.recent.get(m.conversationId) ?? []).some((f) => f.at > since && f.drop(m.seq));
  }
}
