import { auth, contacts, media, message } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../kernel/errors.js';
import { ID_MAX } from '../kernel/ids.js';
import { backendAvailable } from '../../test/helpers/backends.js';
import { bearer, expectReason, signUp } from '../../test/helpers/auth-helpers.js';
import { upload, uploadOk } from '../../test/helpers/media-helpers.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../test/helpers/sql-databases.js';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.js';

/**
 * Every id field goes through the kernel's one parser: an id has one spelling (no leading
 * zero) and fits BIGINT. A second spelling of a real id ("0" + id) used to reach the same row,
 * and 20 digits over 2^63-1 used to reach the database, where PostgreSQL refuses to compare it.
 */
const ENGINES = [
  { name: 'SQLite', url: async () => undefined },
  {
    name: 'PostgreSQL',
    url: async () => ((await backendAvailable('postgres')) ? createTestDatabaseUrl('postgres') : null),
  },
];

for (const engine of ENGINES) {
  const sqlUrl = await engine.url();

  describe.skipIf(sqlUrl === null)(`id fields on ${engine.name}`, () => {
    let server: TestServer;
    let h: ReturnType<typeof bearer>;
    let token: string;

    beforeAll(async () => {
      server = await startTestServer({ sqlUrl: sqlUrl ?? undefined });
      const me = await signUp(server, server.client(auth.AuthService));
      token = me.session.accessToken;
      h = bearer(token);
    });
    afterAll(async () => {
      await server?.stop();
      if (sqlUrl) await dropTestDatabase(sqlUrl);
    });

    const overMax = (ID_MAX + 1n).toString();

    it('refuses a second spelling of a real media id, and one over BIGINT, naming the field', async () => {
      const m = await uploadOk(server.baseUrl, token, 'file', Buffer.from('one spelling per id'), 'a.txt');
      const api = server.client(media.MediaService);
      expect((await api.getMedia({ mediaId: m.id }, h)).media?.id).toBe(m.id);
      for (const mediaId of [`0${m.id}`, overMax, '9'.repeat(20), '0']) {
        const err = await expectReason(api.getMedia({ mediaId }, h), 'INVALID_ARGUMENT');
        expect(errorInfoOf(err)?.field).toBe('mediaId');
      }
    });

    it('refuses a conversation id with a leading zero or over BIGINT before any lookup', async () => {
      const api = server.client(message.MessageService);
      for (const conversationId of ['0', '07', overMax]) {
        const err = await expectReason(api.getHistory({ conversationId, limit: 10 }, h), 'INVALID_ARGUMENT');
        expect(errorInfoOf(err)?.field).toBe('conversationId');
      }
    });

    it('refuses a user id with a leading zero instead of reading it as another number', async () => {
      const api = server.client(contacts.ContactsService);
      const err = await expectReason(api.getUsers({ userIds: ['007'] }, h), 'INVALID_ARGUMENT');
      expect(errorInfoOf(err)?.field).toBe('userIds');
    });

    it('answers NOT_FOUND, not a database error, for a session id over BIGINT', async () => {
      const api = server.client(auth.AuthService);
      await expectReason(api.revokeDevice({ sessionId: overMax }, h), 'NOT_FOUND');
      await expectReason(api.revokeDevice({ sessionId: `0${'1'.repeat(18)}` }, h), 'NOT_FOUND');
    });

    it('refuses an upload folder with a leading zero with 400 and the field', async () => {
      const r = await upload(server.baseUrl, token, 'file', Buffer.from('x'), 'b.txt', { folder: '01' });
      expect(r.status).toBe(400);
      expect(r.body.toString()).toContain('folder');
    });
  });
}
