/**
 * Friend tags (标签): each person's named lists of their friends, used to choose who sees a
 * moment. A tag keeps whoever was put in it; only those still friends are ever answered, so
 * ending a friendship needs no clean-up here.
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { Kysely } from 'kysely';
import { contacts as pb } from '@mychat/protocol';
import { asId, asNum, isUniqueViolation, type SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import { ErrorCode, errors } from '../../kernel/errors.js';
import { parseId, type IdGenerator } from '../../kernel/ids.js';
import type { ContactsRepository } from './contacts.repository.js';
import { actorOf } from './contacts.rpc.js';
import type { ContactsTables } from './contacts.tables.js';
import { parseIds, parseText } from './contacts.validation.js';

export const TAG_LIMITS = { name: 20, tagsPerUser: 100, membersPerTag: 1000, resolve: 100 } as const;

export interface TagRow {
  id: string;
  name: string;
  memberIds: string[];
  createdAt: number;
}

const tagMsg = (t: TagRow) =>
  create(pb.FriendTagSchema, {
    id: t.id,
    name: t.name,
    memberIds: t.memberIds,
    createdAt: timestampFromMs(t.createdAt),
  });

const noTag = () => errors.notFound('no such tag');
const nameTaken = () => errors.invalidArgument('you already have a tag with this name', 'name');

export class FriendTags {
  private readonly db: Kysely<ContactsTables>;

  constructor(
    private readonly d: { sql: SqlDatabase; contacts: ContactsRepository; ids: IdGenerator; clock: Clock },
  ) {
    this.db = d.sql.db as Kysely<ContactsTables>;
  }

  /** The owner's tags (or those of `ids`), by name, with their members who are still friends. */
  async list(ownerId: string, ids?: readonly string[]): Promise<TagRow[]> {
    if (ids && ids.length === 0) return [];
    let q = this.db.selectFrom('contacts_tags').selectAll().where('owner_id', '=', ownerId);
    if (ids) q = q.where('id', 'in', ids);
    const tags = await q.orderBy('name').execute();
    if (tags.length === 0) return [];
    const rows = await this.db
      .selectFrom('contacts_tag_members')
      .select(['tag_id', 'friend_id'])
      .where(
        'tag_id',
        'in',
        tags.map((t) => asId(t.id)),
      )
      .execute();
    const friends = await this.d.contacts.friendsAmong(ownerId, [
      ...new Set(rows.map((r) => asId(r.friend_id))),
    ]);
    const members = new Map<string, string[]>();
    for (const r of rows) {
      const f = asId(r.friend_id);
      if (!friends.has(f)) continue;
      const list = members.get(asId(r.tag_id)) ?? [];
      list.push(f);
      members.set(asId(r.tag_id), list);
    }
    return tags.map((t) => ({
      id: asId(t.id),
      name: t.name,
      memberIds: (members.get(asId(t.id)) ?? []).sort(),
      createdAt: asNum(t.created_at),
    }));
  }

  async create(ownerId: string, name: string, memberIds: readonly string[]): Promise<TagRow> {
    await this.mustBeFriends(ownerId, memberIds, 'memberIds');
    const count = await this.db
      .selectFrom('contacts_tags')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('owner_id', '=', ownerId)
      .executeTakeFirstOrThrow();
    if (asNum(count.n) >= TAG_LIMITS.tagsPerUser)
      throw errors.invalidArgument(`at most ${TAG_LIMITS.tagsPerUser} tags`, 'name');
    const id = this.d.ids.next();
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('contacts_tags')
          .values({ id, owner_id: ownerId, name, created_at: this.d.clock.now() })
          .execute();
        if (memberIds.length)
          await tx
            .insertInto('contacts_tag_members')
            .values(memberIds.map((f) => ({ tag_id: id, friend_id: f })))
            .execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken();
      throw err;
    }
    return (await this.list(ownerId, [id]))[0]!;
  }

  async update(
    ownerId: string,
    tagId: string,
    change: { name?: string; add: readonly string[]; remove: readonly string[] },
  ): Promise<TagRow> {
    const [tag] = await this.list(ownerId, [tagId]);
    if (!tag) throw noTag();
    await this.mustBeFriends(ownerId, change.add, 'addMemberIds');
    const stored = await this.db
      .selectFrom('contacts_tag_members')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('tag_id', '=', tagId)
      .executeTakeFirstOrThrow();
    if (asNum(stored.n) + change.add.length > TAG_LIMITS.membersPerTag)
      throw errors.invalidArgument(`a tag holds at most ${TAG_LIMITS.membersPerTag} friends`, 'addMemberIds');
    try {
      await this.db.transaction().execute(async (tx) => {
        if (change.name !== undefined && change.name !== tag.name)
          await tx.updateTable('contacts_tags').set({ name: change.name }).where('id', '=', tagId).execute();
        if (change.remove.length)
          await tx
            .deleteFrom('contacts_tag_members')
            .where('tag_id', '=', tagId)
            .where('friend_id', 'in', change.remove)
            .execute();
        const fresh = change.add.filter((f) => !tag.memberIds.includes(f));
        if (fresh.length) {
          // A former friend may still be stored in the tag: make room for them again.
          await tx
            .deleteFrom('contacts_tag_members')
            .where('tag_id', '=', tagId)
            .where('friend_id', 'in', fresh)
            .execute();
          await tx
            .insertInto('contacts_tag_members')
            .values(fresh.map((f) => ({ tag_id: tagId, friend_id: f })))
            .execute();
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken();
      throw err;
    }
    return (await this.list(ownerId, [tagId]))[0]!;
  }

  async delete(ownerId: string, tagId: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const r = await tx
        .deleteFrom('contacts_tags')
        .where('id', '=', tagId)
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      if (Number(r.numDeletedRows) !== 1) throw noTag();
      await tx.deleteFrom('contacts_tag_members').where('tag_id', '=', tagId).execute();
    });
  }

  private async mustBeFriends(ownerId: string, ids: readonly string[], field: string): Promise<void> {
    const friends = await this.d.contacts.friendsAmong(ownerId, ids);
    if (ids.some((id) => !friends.has(id)))
      throw errors.invalid(ErrorCode.NOT_FRIENDS, 'a tag holds only your friends', field);
  }
}

const parseName = (raw: string) => parseText(raw, 'name', TAG_LIMITS.name, { required: true });

/** The tag methods of ContactsService. */
export function friendTagsRpc(
  tags: FriendTags,
): Pick<
  ServiceImpl<typeof pb.ContactsService>,
  'listFriendTags' | 'createFriendTag' | 'updateFriendTag' | 'deleteFriendTag'
> {
  return {
    async listFriendTags(_req, ctx) {
      return { tags: (await tags.list(actorOf(ctx).userId)).map(tagMsg) };
    },
    async createFriendTag(req, ctx) {
      const actor = actorOf(ctx);
      const name = parseName(req.name);
      const tag = await tags.create(actor.userId, name, parseIds(req.memberIds, 'memberIds'));
      return { tag: tagMsg(tag) };
    },
    async updateFriendTag(req, ctx) {
      const actor = actorOf(ctx);
      const tagId = parseId(req.tagId, 'tagId');
      const tag = await tags.update(actor.userId, tagId, {
        ...(req.name !== undefined && { name: parseName(req.name) }),
        add: parseIds(req.addMemberIds, 'addMemberIds'),
        remove: parseIds(req.removeMemberIds, 'removeMemberIds'),
      });
      return { tag: tagMsg(tag) };
    },
    async deleteFriendTag(req, ctx) {
      await tags.delete(actorOf(ctx).userId, parseId(req.tagId, 'tagId'));
      return {};
    },
  };
}

/** ContactsInternalService.ResolveFriendTags (the moments service's audiences). */
export function resolveFriendTagsRpc(
  tags: FriendTags,
): Pick<ServiceImpl<typeof pb.ContactsInternalService>, 'resolveFriendTags'> {
  return {
    async resolveFriendTags(req) {
      const userId = parseId(req.userId, 'userId');
      if (req.tagIds.length > TAG_LIMITS.resolve)
        throw errors.invalidArgument(`at most ${TAG_LIMITS.resolve} tags`, 'tagIds');
      const ids = [...new Set(req.tagIds.map((id) => parseId(id, 'tagIds')))];
      return { tags: (await tags.list(userId, ids)).map(tagMsg) };
    },
  };
}
