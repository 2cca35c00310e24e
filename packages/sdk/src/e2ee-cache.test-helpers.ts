/** Sealed messages and kept bodies for the OpenedCache tests. */
import { create, toBinary } from '@bufbuild/protobuf';
import { keys as pb } from '@mychat/protocol';
import type { OpenedCache } from './e2ee-cache.js';
import { importX25519, newPair, seal } from './e2ee-crypto.js';
import type { ChatMessage, Sealed } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
export const ME = { userId: '7', deviceId: 'a'.repeat(32) };
export const SENDER = { userId: '8', deviceId: 'b'.repeat(32) };

export async function devices() {
  const [sender, me] = [await newPair('X25519'), await newPair('X25519')];
  return { sender: { ...SENDER, pair: sender }, me, senderKey: await importX25519(sender.publicKey) };
}

/** Messages of conversation '1' at `seqs`, each with the text of its seq, sealed to me. */
export async function messages(seqs: number[], d: Awaited<ReturnType<typeof devices>>) {
  const mine = await importX25519(d.me.publicKey);
  return Promise.all(
    seqs.map(async (seq) => {
      const body = create(pb.SealedBodySchema, { body: { case: 'text', value: `m${seq}` } });
      const s = await seal(toBinary(pb.SealedBodySchema, body), '1', d.sender, [{ ...ME, key: mine }]);
      const sealed: Sealed = { ...s, files: [] };
      const m = {
        conversationId: '1',
        seq,
        senderId: SENDER.userId,
        createdAt: 1,
        content: { type: 'encrypted', sealed },
      };
      return { m: m as ChatMessage, sealed };
    }),
  );
}

/** Keeps each message's body: the text `m<seq>`. */
export const keep = (cache: OpenedCache, list: { m: ChatMessage; sealed: Sealed }[]) =>
  Promise.all(list.map((x) => cache.put(x.m, x.sealed, enc.encode(`m${x.m.seq}`), ME.deviceId)));

/** The kept bodies as text (undefined where none opens). */
export const texts = async (cache: OpenedCache, list: { m: ChatMessage; sealed: Sealed }[]) =>
  (await cache.getMany(list, ME.deviceId)).map((b) => b && dec.decode(b));
