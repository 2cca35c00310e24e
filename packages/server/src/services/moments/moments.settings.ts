import { create } from '@bufbuild/protobuf';
import { media, moments as pb } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Actor, MomentMedia } from './moments.peers.js';
import { FILTER_HIDE_FROM, FILTER_MUTE, type SettingsRow } from './moments.people.repository.js';
import type { MomentsStore } from './moments.repository.js';
import { mediaMsg } from './moments.views.js';
import { DEFAULT_RULES } from './moments.visibility.js';

export interface SettingsChange {
  albumWindow?: number;
  strangerAccess?: number;
  /** "" removes the cover. */
  coverMediaId?: string;
  hideFromAdd: string[];
  hideFromRemove: string[];
  muteAdd: string[];
  muteRemove: string[];
}

export interface SettingsDeps {
  store: MomentsStore;
  media: MomentMedia;
  clock: Clock;
  /** Marks circles as changed by a hide or mute (after the commit). */
  filtersChanged(userIds: string[]): Promise<void>;
}

/** Each person's moments settings: album window, strangers, cover, and per-person filters. */
export class MomentSettingsService {
  constructor(private readonly d: SettingsDeps) {}

  async get(actor: Actor): Promise<pb.MomentSettings> {
    const { people } = this.d.store;
    const s = await this.row(actor.userId);
    const [hideFrom, muted] = await Promise.all([
      people.filters(actor.userId, FILTER_HIDE_FROM),
      people.filters(actor.userId, FILTER_MUTE),
    ]);
    return create(pb.MomentSettingsSchema, {
      albumWindow: s.albumWindow,
      strangerAccess: s.strangerAccess,
      ...(s.cover && { cover: mediaMsg(s.cover) }),
      hideFromUserIds: hideFrom,
      mutedUserIds: muted,
    });
  }

  async update(actor: Actor, c: SettingsChange): Promise<pb.MomentSettings> {
    const me = actor.userId;
    for (const [add, remove, field] of [
      [c.hideFromAdd, c.hideFromRemove, 'hideFromAdd'],
      [c.muteAdd, c.muteRemove, 'muteAdd'],
    ] as const) {
      if ([...add, ...remove].includes(me))
        throw new AppError(ErrorCode.CANNOT_TARGET_SELF, 'you cannot do this to yourself', { field });
      if (add.some((id) => remove.includes(id)))
        throw errors.invalidArgument('a person is both added and removed', field);
    }
    const before = await this.row(me);
    const next: SettingsRow = {
      ...before,
      albumWindow: c.albumWindow ?? before.albumWindow,
      strangerAccess: c.strangerAccess ?? before.strangerAccess,
    };
    const old = before.cover;
    const cover = { ownerId: me, momentId: '' };
    if (c.coverMediaId !== undefined && c.coverMediaId !== (old?.id ?? '')) {
      next.cover = c.coverMediaId
        ? (await this.d.media.attach(cover, [c.coverMediaId], media.MediaKind.IMAGE, actor.requestId))[0]!
        : null;
    }
    const now = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      await tx.people.saveSettings(next, now);
      await tx.people.addFilters(me, FILTER_HIDE_FROM, c.hideFromAdd, now);
      await tx.people.removeFilters(me, FILTER_HIDE_FROM, c.hideFromRemove);
      await tx.people.addFilters(me, FILTER_MUTE, c.muteAdd, now);
      await tx.people.removeFilters(me, FILTER_MUTE, c.muteRemove);
    });
    // Hiding from someone changes their circle; muting changes mine.
    const touched = [...c.hideFromAdd, ...c.hideFromRemove];
    if (c.muteAdd.length || c.muteRemove.length) touched.push(me);
    if (touched.length) await this.d.filtersChanged(touched);
    if (old && next.cover?.id !== old.id) await this.d.media.detach(cover, [old.id], actor.requestId);
    return this.get(actor);
  }

  private async row(userId: string): Promise<SettingsRow> {
    return (
      (await this.d.store.people.settings([userId])).get(userId) ?? {
        userId,
        ...DEFAULT_RULES,
        cover: null,
      }
    );
  }
}
