import { isUniqueViolation } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { parseId, type IdGenerator } from '../../kernel/ids.js';
import type { MediaRepository } from './media.repository.js';
import { cleanName } from './media.sniff.js';
import type { DriveRow, MediaRow } from './media.tables.js';

/** The root folder's id in storage and on the wire ("" and "root" both mean it). */
const ROOT = '0';
const MAX_DEPTH = 32;
const MAX_NAME = 200;

const parentOf = (id: string) => (id === '' || id === 'root' ? ROOT : id);

/**
 * "My files": folders and file entries per user. An entry points at a stored file; several
 * entries may share one (the file is stored once), and deleting the last entry of a file no
 * message uses frees its bytes.
 */
export class DriveService {
  constructor(
    private readonly d: {
      repo: MediaRepository;
      ids: IdGenerator;
      clock: Clock;
      /** Frees a file when nothing uses it any more. */
      freeIfUnused(mediaId: string): Promise<boolean>;
    },
  ) {}

  async list(
    ownerId: string,
    folderId: string,
  ): Promise<{ entries: DriveRow[]; path: DriveRow[]; media: Map<string, MediaRow> }> {
    const parent = parentOf(folderId);
    const trail = parent === ROOT ? [] : await this.ancestry(ownerId, parent);
    const entries = await this.d.repo.driveChildren(ownerId, parent);
    const media = await this.d.repo.mediaMany(entries.flatMap((e) => (e.mediaId ? [e.mediaId] : [])));
    return { entries: entries.filter((e) => e.isFolder || media.has(e.mediaId!)), path: trail, media };
  }

  async createFolder(ownerId: string, parentId: string, name: string): Promise<DriveRow> {
    const parent = await this.folder(ownerId, parentOf(parentId));
    if (parent !== ROOT && (await this.ancestry(ownerId, parent)).length >= MAX_DEPTH)
      throw errors.invalidArgument(`folders nest at most ${MAX_DEPTH} deep`, 'parentId');
    return this.insert({ ownerId, parentId: parent, isFolder: true, name: this.name(name), mediaId: null });
  }

  /** Adds a file the caller owns; a taken name gets " (2)", " (3)", ... */
  async addFile(ownerId: string, media: MediaRow, folderId: string, name: string): Promise<DriveRow> {
    if (media.ownerId !== ownerId) throw errors.permissionDenied('you can keep only your own files');
    const parent = await this.folder(ownerId, parentOf(folderId));
    const base = this.name(name || media.name);
    for (let i = 1; i <= 50; i++) {
      const candidate = i === 1 ? base : base.replace(/(\.[^.]*)?$/, (ext) => ` (${i})${ext}`);
      try {
        return await this.insert({
          ownerId,
          parentId: parent,
          isFolder: false,
          name: candidate,
          mediaId: media.id,
        });
      } catch (err) {
        if (!(err instanceof AppError && err.details.field === 'name')) throw err;
      }
    }
    throw errors.invalidArgument('too many files with that name here', 'name');
  }

  async rename(ownerId: string, entryId: string, name: string): Promise<DriveRow> {
    const e = await this.entry(ownerId, entryId);
    await this.write(() =>
      this.d.repo.updateDrive(ownerId, e.id, { name: this.name(name) }, this.d.clock.now()),
    );
    return this.entry(ownerId, entryId);
  }

  async move(ownerId: string, entryId: string, parentId: string): Promise<DriveRow> {
    const e = await this.entry(ownerId, entryId);
    const parent = await this.folder(ownerId, parentOf(parentId));
    if (
      parent !== ROOT &&
      (parent === e.id || (await this.ancestry(ownerId, parent)).some((a) => a.id === e.id))
    )
      throw errors.invalidArgument('a folder cannot move into itself', 'parentId');
    await this.write(() => this.d.repo.updateDrive(ownerId, e.id, { parentId: parent }, this.d.clock.now()));
    return this.entry(ownerId, entryId);
  }

  /** Deletes an entry (a folder with all it holds), then frees files nothing uses any more. */
  async remove(ownerId: string, entryId: string): Promise<void> {
    const e = await this.entry(ownerId, entryId);
    const doomed: DriveRow[] = [e];
    for (let i = 0; i < doomed.length; i++) {
      if (doomed[i]!.isFolder) doomed.push(...(await this.d.repo.driveChildren(ownerId, doomed[i]!.id)));
      if (doomed.length > 100_000)
        throw errors.invalidArgument('the folder is too large to delete at once', 'entryId');
    }
    await this.d.repo.deleteDrive(
      ownerId,
      doomed.map((x) => x.id),
    );
    for (const mediaId of new Set(doomed.flatMap((x) => (x.mediaId ? [x.mediaId] : []))))
      await this.d.freeIfUnused(mediaId);
  }

  async entry(ownerId: string, id: string): Promise<DriveRow> {
    parseId(id, 'entryId');
    const e = await this.d.repo.driveEntry(ownerId, id);
    if (!e) throw errors.notFound('no such file or folder');
    return e;
  }

  private async folder(ownerId: string, id: string): Promise<string> {
    if (id === ROOT) return ROOT;
    const f = await this.entry(ownerId, id);
    if (!f.isFolder) throw errors.invalidArgument('that is not a folder', 'parentId');
    return f.id;
  }

  /** Folders from the root down to `id` (inclusive). */
  private async ancestry(ownerId: string, id: string): Promise<DriveRow[]> {
    const trail: DriveRow[] = [];
    for (let cur = id; cur !== ROOT && trail.length <= MAX_DEPTH;) {
      const f = await this.entry(ownerId, cur);
      trail.unshift(f);
      cur = f.parentId;
    }
    return trail;
  }

  /**
   * A name the user typed (folder, rename) is taken as it is or refused, never quietly
   * rewritten: "../x" or 300 characters get INVALID_ARGUMENT rather than "x" or a cut name.
   */
  private name(n: string): string {
    const name = n.trim();
    if (!name) throw errors.invalidArgument('a name is required', 'name');
    if ([...name].length > MAX_NAME)
      throw errors.invalidArgument(`a name is at most ${MAX_NAME} characters`, 'name');
    if (name === '.' || name === '..' || cleanName(name, '') !== name)
      throw errors.invalidArgument('a name cannot contain / \\ : * ? " < > | or start with a dot', 'name');
    return name;
  }

  private async insert(e: Omit<DriveRow, 'id' | 'createdAt' | 'updatedAt'>): Promise<DriveRow> {
    const now = this.d.clock.now();
    const row: DriveRow = { ...e, id: this.d.ids.next(), createdAt: now, updatedAt: now };
    await this.write(() => this.d.repo.insertDrive(row));
    return row;
  }

  private async write(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AppError(ErrorCode.INVALID_ARGUMENT, 'something with that name is already there', {
          field: 'name',
        });
      throw err;
    }
  }
}
