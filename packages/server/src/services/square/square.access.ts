import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import { idTime } from '../../kernel/ids.js';
import type { SquareConfig } from './square.config.js';
import type { Actor, Contacts } from './square.peers.js';
import type { BoardRow, SquareStore, ThreadRow } from './square.repository.js';
import { standing, type Standing } from './square.standing.js';

/** contacts GroupRole: admins and the owner moderate their group's board. */
const GROUP_ROLE_ADMIN = 2;

/** A board as one caller may use it. */
export interface BoardView {
  board: BoardRow;
  moderator: boolean;
  /** When the caller's ban from this board (or the whole square) ends; 0 when none. */
  bannedUntil: number;
}

const DAY_MS = 86_400_000;

/**
 * Who may see, post in and moderate what. A group board exists only for its group's members
 * (NOT_FOUND otherwise, as for a board that does not exist); public boards for every signed-in
 * user. Moderators: square admins (config), the board's named moderators, and a group board's
 * owner and admins.
 */
export class Access {
  private readonly admins: Set<string>;

  constructor(
    private readonly d: {
      store: SquareStore;
      contacts: Contacts;
      clock: Clock;
      config: SquareConfig;
    },
  ) {
    this.admins = new Set(d.config.adminUserIds);
  }

  /**
   * Square admin: listed in `square.adminUserIds`, or granted with `mychat square admin grant`
   * (the square_admins table). The one place to point at the admin module's roles later.
   */
  async isAdmin(userId: string): Promise<boolean> {
    return this.admins.has(userId) || (await this.d.store.social.isAdmin(userId));
  }

  /** The caller's role in a group (0: not a member). */
  async groupRole(actor: Actor, groupId: string): Promise<number> {
    return (await this.d.contacts.roles(actor.userId, [groupId], actor.requestId)).get(groupId) ?? 0;
  }

  /** Every board the caller may see, each with what the caller may do there. */
  async boards(actor: Actor): Promise<BoardView[]> {
    const groups = await this.d.store.groupBoardGroups();
    const roles = await this.d.contacts.roles(actor.userId, groups, actor.requestId);
    const mine = groups.filter((g) => (roles.get(g) ?? 0) > 0);
    const [boards, s] = await Promise.all([this.d.store.boards(mine), this.standing(actor.userId)]);
    return boards.map((board) => ({
      board,
      moderator: moderates(s.admin, board, s.moderated, board.groupId ? (roles.get(board.groupId) ?? 0) : 0),
      bannedUntil: Math.max(s.bans.get(board.id) ?? 0, s.bans.get('') ?? 0),
    }));
  }

  /** One board the caller may see, or NOT_FOUND. */
  async board(actor: Actor, boardId: string): Promise<BoardView> {
    const board = await this.d.store.board(boardId);
    if (!board) throw errors.notFound('no such board');
    const role = board.groupId ? await this.groupRole(actor, board.groupId) : 0;
    if (board.groupId && role === 0) throw errors.notFound('no such board');
    const s = await this.standing(actor.userId);
    return {
      board,
      moderator: moderates(s.admin, board, s.moderated, role),
      bannedUntil: Math.max(s.bans.get(board.id) ?? 0, s.bans.get('') ?? 0),
    };
  }

  /** The caller's moderator seats, bans and admin grant (config or table), in one statement. */
  private async standing(userId: string): Promise<Standing> {
    const s = await standing(this.d.store.db, userId, this.d.clock.now());
    if (this.admins.has(userId)) s.admin = true;
    return s;
  }

  /** A thread the caller may see (not removed, on a board they may see), or NOT_FOUND. */
  async thread(actor: Actor, threadId: string): Promise<{ thread: ThreadRow; view: BoardView }> {
    const thread = await this.d.store.thread(threadId);
    if (!thread || thread.removed) throw errors.notFound('no such thread');
    const view = await this.board(actor, thread.boardId).catch((err: unknown) => {
      throw err instanceof AppError && err.code === ErrorCode.NOT_FOUND
        ? errors.notFound('no such thread')
        : err;
    });
    return { thread, view };
  }

  requireModerator(view: BoardView): void {
    if (!view.moderator)
      throw new AppError(ErrorCode.SQUARE_NOT_MODERATOR, 'only a moderator of this board may do this');
  }

  /**
   * Before a post is written: not banned, under the per-minute limit and (for a new account)
   * the daily one, and free of filtered keywords.
   */
  async mayPost(actor: Actor, view: BoardView, texts: readonly string[], newPost = true): Promise<void> {
    const now = this.d.clock.now();
    this.notBanned(view);
    if (newPost && !view.moderator) await this.rateLimits(actor, now);
    const words = await this.d.store.social.keywords();
    const lower = texts.map((t) => t.toLowerCase());
    if (words.some((w) => lower.some((t) => t.includes(w))))
      throw new AppError(ErrorCode.SQUARE_CONTENT_FILTERED, 'the text contains a filtered word', {
        field: 'body',
      });
  }

  /** SQUARE_BANNED while a ban from the board or the whole square runs. */
  notBanned(view: BoardView): void {
    const now = this.d.clock.now();
    if (view.bannedUntil > now)
      throw new AppError(ErrorCode.SQUARE_BANNED, 'you are banned from posting here for now', {
        retryAfterSeconds: Math.ceil((view.bannedUntil - now) / 1000),
      });
  }

  private async rateLimits(actor: Actor, now: number): Promise<void> {
    const { postsPerMinute, newAccountHours, newAccountPostsPerDay } = this.d.config;
    if ((await this.d.store.postsSince(actor.userId, now - 60_000)) >= postsPerMinute)
      throw errors.rateLimited(60, 'too many posts, wait a minute');
    const age = now - idTime(actor.userId);
    if (age < newAccountHours * 3_600_000) {
      const today = await this.d.store.postsSince(actor.userId, now - DAY_MS);
      if (today >= newAccountPostsPerDay)
        throw new AppError(
          ErrorCode.SQUARE_NEW_ACCOUNT_LIMIT,
          'new accounts may post only a few times a day',
          {
            retryAfterSeconds: Math.ceil((newAccountHours * 3_600_000 - age) / 1000),
          },
        );
    }
  }
}

const moderates = (admin: boolean, board: BoardRow, named: Set<string>, groupRole: number): boolean =>
  admin || named.has(board.id) || (!!board.groupId && groupRole >= GROUP_ROLE_ADMIN);
