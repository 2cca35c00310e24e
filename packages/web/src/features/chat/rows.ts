import type { ChatMessage, SendState } from '@mychat/sdk';
import type { PendingMessage } from './chat.store.js';
import { dayKey } from '../../lib/format.js';

/** What the message list shows, one entry per virtual row. */
export type Row =
  | { kind: 'top'; key: string }
  | { kind: 'day'; key: string; at: number }
  | { kind: 'notice'; key: string; m: ChatMessage }
  | {
      kind: 'msg';
      key: string;
      m: ChatMessage;
      mine: boolean;
      /** First of a run by the same sender (shows the name in groups, adds space). */
      head: boolean;
      state: SendState | undefined;
    }
  | { kind: 'pending'; key: string; p: PendingMessage; head: boolean };

const GAP_MS = 5 * 60_000;

/** Builds the rows: day separators, notices (system, recall), messages, then pending sends. */
export function buildRows(
  items: ChatMessage[],
  pending: PendingMessage[],
  myId: string,
  stateOf: (m: ChatMessage) => SendState,
): Row[] {
  const rows: Row[] = [{ kind: 'top', key: 'top' }];
  let day = -1;
  let prev: { sender: string; at: number } | undefined;
  const dayRow = (at: number) => {
    const d = dayKey(at);
    if (d !== day) {
      day = d;
      rows.push({ kind: 'day', key: `d:${d}`, at });
      prev = undefined;
    }
  };
  for (const m of items) {
    // Shown on their message: reactions, edits and link previews.
    if (m.content.type === 'reaction' || m.content.type === 'edit' || m.content.type === 'linkPreview')
      continue;
    dayRow(m.createdAt);
    // A recall shows where the recalled message was (its tombstone), not where the recall came.
    if (m.content.type === 'recall') continue;
    if (m.content.type === 'system' || m.content.type === 'pin') {
      rows.push({ kind: 'notice', key: `m:${m.seq}`, m });
      prev = undefined;
      continue;
    }
    const head = !prev || prev.sender !== m.senderId || m.createdAt - prev.at > GAP_MS;
    const mine = m.senderId === myId;
    if (m.recalled) {
      rows.push({ kind: 'notice', key: `m:${m.seq}`, m });
      prev = undefined;
      continue;
    }
    rows.push({ kind: 'msg', key: `m:${m.seq}`, m, mine, head, state: mine ? stateOf(m) : undefined });
    prev = { sender: m.senderId, at: m.createdAt };
  }
  // Only the newest of one's own stored messages shows its state (older ones are at least as far).
  let lastMine = -1;
  rows.forEach((r, i) => {
    if (r.kind === 'msg' && r.mine) lastMine = i;
  });
  rows.forEach((r, i) => {
    if (r.kind === 'msg' && r.mine && i !== lastMine) r.state = undefined;
  });
  for (const p of pending) {
    dayRow(p.createdAt);
    rows.push({ kind: 'pending', key: `p:${p.clientMsgId}`, p, head: !prev || prev.sender !== myId });
    prev = { sender: myId, at: p.createdAt };
  }
  return rows;
}
