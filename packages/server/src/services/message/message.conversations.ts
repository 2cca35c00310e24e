import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { pushFrame, pushToUsers } from '../../contracts/push-envelope.js';
import type { Caller } from '../../rpc/call-context.js';
import { membershipOf, type MessageServiceDeps } from './message.deps.js';
import { isOneToOne, SILENT_TYPES, type MemberRow, type MessageRow } from './message.tables.js';
import { MessageOpsStore } from './store/ops-store.js';
import {
  conversationView,
  decodeContent,
  firstReadable,
  hiddenView,
  messageView,
  sendBlock,
  visibleHead,
} from './message.views.js';
import { previewMsg } from './link-preview/link-preview.event.js';
import { eventFor, namedSeqs } from './message.event-reach.js';
import { keepWrapsFor, leaveOutKept } from './message.encrypted.js';
import type { CachedPreview } from './link-preview/link-preview.repository.js';

/**
 * Stored content one history page carries at most (it always holds one message): 200 texts
 * of 8 KiB would be 1.6 MB in one answer, and a socket answers several pages at once within
 * its outbound queue cap (4 MiB). A page cut short says has_more, as one cut by `limit`.
 */
export const HISTORY_PAGE_BYTES = 256 * 1024;

/** How many of `rows` (in page order) one page holds: `limit` at most, within HISTORY_PAGE_BYTES. */
function pageLength(rows: readonly MessageRow[], limit: number): number {
  let bytes = 0;
  const n = Math.min(rows.length, limit);
  for (let i = 0; i < n; i++) {
    bytes += Buffer.byteLength(rows[i]!.content);
    if (bytes > HISTORY_PAGE_BYTES && i > 0) return i;
  }
  return n;
}

/**
 * Conversations as one user sees them, their history, Sync, per-conversation settings,
 * privacy and typing hints: part of the public MessageService.
 */
export class MessageConversations {
  constructor(private readonly d: MessageServiceDeps) {}

  /**
   * `wrapsFor`: one of the caller's encrypted-chat devices, the only reader of the page's wrapped
   * keys; `kept`: the seqs whose opened bodies the reader keeps (their sealed bytes left out).
   */
  async history(
    caller: Caller,
    convId: string,
    o: {
      beforeSeq: number;
      afterSeq?: number;
      limit: number;
      wrapsFor?: string;
      kept?: { fromSeq: number; toSeq: number };
    },
  ) {
    const { conv, me } = await membershipOf(this.d.store, convId, caller.userId);
    const head = visibleHead(conv, me);
    const limit = Math.min(Math.max(o.limit || 50, 1), 200);
    const forward = o.afterSeq !== undefined;
    const rows = forward
      ? await this.d.store.range(conv.id, {
          after: o.afterSeq,
          min: firstReadable(me),
          max: head,
          limit: limit + 1,
        })
      : await this.d.store.range(conv.id, {
          before: o.beforeSeq || head + 1,
          min: firstReadable(me),
          max: head,
          limit: limit + 1,
        });
    const page = rows.slice(0, pageLength(rows, limit));
    const hasMore = rows.length > page.length;
    if (!forward) page.reverse();
    // The reactions of the page's messages now (a new device does not replay REACTION messages).
    const reactions = page.length
      ? await new MessageOpsStore(this.d.store.db).reactions(
          conv.id,
          page[0]!.seq,
          page[page.length - 1]!.seq,
          caller.userId,
        )
      : new Map();
    // Messages deleted for the caller keep their place (the client's copy stays gapless) but
    // carry nothing of their content.
    // Kept by the reader: the sealed bytes are not even decoded (leaveOutKept drops any left).
    const kept = (r: MessageRow) =>
      !!o.kept && r.seq >= o.kept.fromSeq && r.seq <= o.kept.toSeq && r.recalledAt === null;
    const views = page.map((r) =>
      messageView(
        r,
        kept(r) ? decodeContent(r.content, { sealedBytes: false }) : undefined,
        reactions.get(r.seq),
      ),
    );
    const hidden = await this.d.store.hiddenAmong(conv.id, caller.userId, [
      ...page.map((r) => r.seq),
      ...namedSeqs(views),
    ]);
    // Link previews fetched since the messages were sent (link-preview/).
    const previews = (await this.d.previews?.forPage(conv.id, page)) ?? new Map<number, CachedPreview>();
    return {
      messages: views.map((m) => {
        if (hidden.has(m.seq)) return hiddenView(m);
        const v = eventFor(m, me, hidden);
        if (o.wrapsFor) keepWrapsFor(v, caller.userId, o.wrapsFor);
        if (o.kept) leaveOutKept(v, o.kept);
        const p = previews.get(m.seq);
        if (p && !v.recalled) v.linkPreview = previewMsg(p);
        return v;
      }),
      hasMore,
    };
  }

  async sync(caller: Caller, sincePts: number) {
    const { store } = this.d;
    const pts = await store.stampMovedHeads(caller.userId);
    const changed = await store.membershipsOf(caller.userId, sincePts > 0 ? sincePts : undefined);
    const conversations = await conversationViews(this.d, caller.userId, changed);
    const heads = (await store.heads(caller.userId)).map((h) =>
      create(pb.ConversationHeadSchema, { conversationId: h.convId, lastSeq: h.lastSeq }),
    );
    return { pts, conversations, heads };
  }

  async conversation(caller: Caller, convId: string): Promise<pb.Conversation> {
    const { me } = await membershipOf(this.d.store, convId, caller.userId);
    return (await conversationViews(this.d, caller.userId, [me]))[0]!;
  }

  async updateSettings(
    caller: Caller,
    convId: string,
    s: { muted?: boolean; pinned?: boolean },
  ): Promise<pb.Conversation> {
    const { store } = this.d;
    await membershipOf(store, convId, caller.userId);
    await store.transaction(async (tx) => {
      await store.updateMember(tx, convId, caller.userId, {
        ...(s.muted !== undefined && { muted: s.muted ? 1 : 0 }),
        ...(s.pinned !== undefined && { pinned: s.pinned ? 1 : 0 }),
      });
      await store.bumpPts(tx, convId, [caller.userId]);
    });
    const view = await this.conversation(caller, convId);
    await pushToUsers(
      this.d.bus,
      [caller.userId],
      pushFrame({ case: 'conversation', value: { conversation: view, pts: view.pts } }),
      caller.sessionId,
    );
    return view;
  }

  getPrivacy(caller: Caller) {
    return this.d.store.userState(caller.userId).then((s) => ({ hideReadReceipts: s.hideReadReceipts }));
  }

  setPrivacy(caller: Caller, hideReadReceipts: boolean) {
    return this.d.store.setHideReadReceipts(caller.userId, hideReadReceipts);
  }

  async typing(caller: Caller, convId: string): Promise<void> {
    const { conv, me } = await membershipOf(this.d.store, convId, caller.userId);
    if (sendBlock(conv, me, this.d.clock.now()) !== 'ok') return;
    // At most one typing hint per person and conversation per second; extras are dropped.
    if (!(await this.d.kv.set(`msg:typing:${convId}:${caller.userId}`, '1', { ttlMs: 1000, ifAbsent: true })))
      return;
    const others = (await this.d.store.activeMemberIds(convId)).filter((u) => u !== caller.userId);
    await pushToUsers(
      this.d.bus,
      others,
      pushFrame({ case: 'typing', value: { conversationId: convId, userId: caller.userId } }),
    );
  }
}

/** Views of conversations for one user, with last messages and peers, in few queries. */
export async function conversationViews(
  d: Pick<MessageServiceDeps, 'store' | 'clock'>,
  userId: string,
  mine: MemberRow[],
): Promise<pb.Conversation[]> {
  const { store } = d;
  if (!mine.length) return [];
  const convs = new Map((await store.conversations(mine.map((m) => m.convId))).map((c) => [c.id, c]));
  const lasts = await store.lastMessages(
    mine.map((m) => ({
      id: m.convId,
      seq: convs.get(m.convId) ? visibleHead(convs.get(m.convId)!, m) : 0,
    })),
  );
  const ops = new MessageOpsStore(store.db);
  // A list previews the newest message that is not a reaction or an edit.
  const silentHeads = [...lasts.values()].filter((m) => SILENT_TYPES.includes(m.type));
  for (const [id, m] of await ops.lastLoud(silentHeads.map((m) => ({ id: m.convId, seq: m.seq }))))
    lasts.set(id, m);
  for (const m of silentHeads) if (lasts.get(m.convId) === m) lasts.delete(m.convId);
  const silent = await ops.silentCounts(
    mine.flatMap((m) => {
      const c = convs.get(m.convId);
      return c
        ? [{ convId: m.convId, after: Math.max(m.readSeq, m.firstSeq - 1), upTo: visibleHead(c, m) }]
        : [];
    }),
  );
  const pins = await ops.pinnedSeqs([...convs.keys()]);
  const now = d.clock.now();
  const ids = [...convs.keys()];
  const counts = await store.memberCounts(ids);
  const peers = await store.peers(
    ids.filter((id) => isOneToOne(convs.get(id)!.type)),
    userId,
  );
  const hiding = await store.hidingReceipts([...peers.values()].map((p) => p.userId));
  const hidden = await store.hiddenSeqs(userId, new Map(mine.map((m) => [m.convId, m.clearedSeq])));
  const drafts = await store.drafts(userId, ids);
  const out: pb.Conversation[] = [];
  for (const me of mine) {
    const conv = convs.get(me.convId);
    if (!conv) continue;
    const peer = peers.get(conv.id);
    out.push(
      conversationView({
        conv,
        me,
        now,
        lastMessage: lasts.get(conv.id),
        peer,
        peerHidesReads: peer ? hiding.has(peer.userId) : false,
        memberCount: counts.get(conv.id) ?? 0,
        silent: silent.get(conv.id) ?? 0,
        pinnedSeqs: pins.get(conv.id) ?? [],
        hiddenSeqs: hidden.get(conv.id) ?? [],
        draft: drafts.get(conv.id),
      }),
    );
  }
  return out;
}
