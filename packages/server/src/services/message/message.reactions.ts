import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { isUniqueViolation } from '../../adapters/sql/sql.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Caller } from '../../rpc/call-context.js';
import type { MessageServiceDeps } from './message.deps.js';
import { eventRow, NothingChanged, opTarget, storeEvent } from './message.ops-common.js';
import { decodeContent, encodeContent, messageView } from './message.views.js';
import { MessageOpsStore, type ReactionAggregate } from './store/ops-store.js';

/** Most distinct emoji on one message. */
export const MAX_DISTINCT_REACTIONS = 20;

/** Code points an emoji is made of: pictographs, their modifiers and joiners, flags' letters. */
const EMOJI =
  /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u200d|\ufe0f|\u20e3|[\u{e0020}-\u{e007f}])+$/u;
const PICTOGRAPH = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;

/** Checks an emoji: one to ten code points of emoji, at most 32 bytes of UTF-8. */
export function checkEmoji(emoji: string): string {
  const n = [...emoji].length;
  if (!emoji || n > 10 || Buffer.byteLength(emoji) > 32 || !EMOJI.test(emoji) || !PICTOGRAPH.test(emoji))
    throw errors.invalidArgument('emoji must be one emoji', 'emoji');
  return emoji;
}

export interface ReactInput {
  conversationId: string;
  seq: number;
  emoji: string;
  remove: boolean;
  clientMsgId: string;
}

/**
 * Reactions (表情回应): each change is a silent REACTION message in the conversation (so
 * sync carries it), and `msg_reactions` keeps the aggregate that history pages carry (so a
 * new device does not replay them). Part of the public MessageService.
 */
export class MessageReactions {
  constructor(private readonly d: MessageServiceDeps) {}

  async react(caller: Caller, input: ReactInput): Promise<pb.ReactToMessageResponse> {
    const prior = await this.retried(caller, input);
    if (prior) return prior;
    const { target } = await opTarget(this.d, caller, input.conversationId, input.seq);
    const { emoji, remove, seq } = input;
    const convId = target.convId;
    let counts: ReactionAggregate[] = [];
    const event = eventRow(this.d, caller, convId, input.clientMsgId, {
      case: 'reaction',
      value: create(pb.ReactionContentSchema, { seq, emoji, remove }),
    });
    let message: pb.Message | undefined;
    try {
      message = await storeEvent(this.d, caller, event, async (tx, ops) => {
        const had = await ops.hasReaction(tx, convId, seq, emoji, caller.userId);
        if (had !== remove) throw new NothingChanged();
        if (remove) await ops.removeReaction(tx, convId, seq, emoji, caller.userId);
        else {
          const now = (await ops.reactions(convId, seq, seq, '', tx)).get(seq) ?? [];
          if (now.length >= MAX_DISTINCT_REACTIONS && !now.some((r) => r.emoji === emoji))
            throw new AppError(
              ErrorCode.REACTION_LIMIT,
              `a message has at most ${MAX_DISTINCT_REACTIONS} different reactions`,
              { field: 'emoji' },
            );
          await ops.addReaction(tx, convId, seq, emoji, caller.userId, event.createdAt);
        }
        counts = (await ops.reactions(convId, seq, seq, '', tx)).get(seq) ?? [];
        // The event carries the target's counts after it, so applying it twice changes nothing.
        event.content = encodeContent(
          create(pb.MessageContentSchema, {
            body: {
              case: 'reaction',
              value: create(pb.ReactionContentSchema, { seq, emoji, remove, counts: counts.map(plainCount) }),
            },
          }),
        );
      });
    } catch (err) {
      // Two attempts of one retried call raced: the other one stored it.
      if (isUniqueViolation(err)) {
        const again = await this.retried(caller, input);
        if (again) return again;
      }
      throw err;
    }
    if (!message) counts = await this.countsFor(caller, convId, seq);
    else counts = counts.map((c) => ({ ...c, mine: c.emoji === emoji ? !remove : c.mine }));
    return create(pb.ReactToMessageResponseSchema, {
      ...(message && { message }),
      reactions: counts.map((c) => create(pb.ReactionCountSchema, c)),
    });
  }

  /** A retry of a stored reaction (same caller and client id): the stored answer again. */
  private async retried(caller: Caller, input: ReactInput): Promise<pb.ReactToMessageResponse | undefined> {
    const prior = await this.d.store.messageByClientId(caller.userId, input.clientMsgId);
    if (!prior) return undefined;
    const body = prior.recalledAt === null ? decodeContent(prior.content).body : undefined;
    const same =
      prior.convId === input.conversationId &&
      body?.case === 'reaction' &&
      body.value.seq === input.seq &&
      body.value.emoji === input.emoji &&
      body.value.remove === input.remove;
    if (!same)
      throw errors.invalidArgument(
        'clientMsgId was already used for a different message; pick a new one per message',
        'clientMsgId',
      );
    return create(pb.ReactToMessageResponseSchema, {
      message: messageView(prior),
      reactions: (await this.countsFor(caller, input.conversationId, input.seq)).map((c) =>
        create(pb.ReactionCountSchema, c),
      ),
    });
  }

  private async countsFor(caller: Caller, convId: string, seq: number): Promise<ReactionAggregate[]> {
    return (
      (await new MessageOpsStore(this.d.store.db).reactions(convId, seq, seq, caller.userId)).get(seq) ?? []
    );
  }
}

const plainCount = (c: ReactionAggregate) =>
  create(pb.ReactionCountSchema, { emoji: c.emoji, count: c.count });
