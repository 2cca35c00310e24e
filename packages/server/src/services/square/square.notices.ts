import { square as pb } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Actor, Contacts, SquarePush } from './square.peers.js';
import type { SquareStore } from './square.repository.js';
import type { NoticeRow } from './square.social.repository.js';
import { decodeCursor, encodeCursor } from './square.ranking.js';
import { noticeMsg, userMsg } from './square.views.js';

export type NewNotice = Omit<NoticeRow, 'id' | 'createdAt' | 'removed'> & { removed?: boolean };

/** Square notices: stored per recipient (pull with ListSquareNotices), pushed to live sockets. */
export class Notices {
  constructor(
    private readonly d: {
      store: SquareStore;
      contacts: Contacts;
      push: SquarePush;
      ids: IdGenerator;
      clock: Clock;
    },
  ) {}

  /**
   * Stores the notices (one per recipient and kind, never to the actor), then pushes each.
   * Call after the write that caused them has committed.
   */
  async send(list: readonly NewNotice[], threadTitle: string): Promise<void> {
    const seen = new Set<string>();
    const rows: NoticeRow[] = [];
    const now = this.d.clock.now();
    for (const n of list) {
      const key = `${n.userId}:${n.postId}`;
      if (n.userId === n.actorId || seen.has(key)) continue;
      seen.add(key);
      rows.push({ ...n, removed: n.removed ?? false, id: this.d.ids.next(), createdAt: now });
    }
    if (rows.length === 0) return;
    await this.d.store.social.insertNotices(rows);
    await Promise.all(rows.map((r) => this.d.push.notice(r.userId, noticeMsg(r, threadTitle))));
  }

  async list(actor: Actor, cursor: string, limit: number, markRead: boolean) {
    const before = decodeCursor(cursor)?.id;
    const rows = await this.d.store.social.notices(actor.userId, before, limit + 1);
    const page = rows.slice(0, limit);
    const threads = await this.d.store.threadsByIds([...new Set(page.map((n) => n.threadId))]);
    let readId = await this.d.store.social.readMark(actor.userId);
    if (markRead) {
      const newest = (await this.d.store.social.notices(actor.userId, undefined, 1))[0];
      if (newest && BigInt(newest.id) > BigInt(readId)) {
        await this.d.store.social.setReadMark(actor.userId, newest.id);
        readId = newest.id;
      }
    }
    const unread = await this.d.store.social.unread(actor.userId, readId);
    const people = await this.d.contacts.people(
      actor.userId,
      page.map((n) => n.actorId),
      actor.requestId,
    );
    return {
      notices: page.map((n) => {
        const t = threads.get(n.threadId);
        return noticeMsg(n, t && !t.removed ? t.title : '');
      }),
      nextCursor: rows.length > limit ? encodeCursor({ key: 0, id: page[page.length - 1]!.id }) : '',
      unread,
      users: [...people.values()].map(userMsg),
    };
  }
}

export const NoticeKind = pb.NoticeKind;
