import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { auth } from '@mychat/protocol';
import { MyChatClient } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp } from '../helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const bot = fileURLToPath(new URL('../../../sdk/dist/examples/echo-bot.js', import.meta.url));

/** The SDK's example bot, built and run as a user would run it, against a real server. */
describe.skipIf(!fs.existsSync(bot))('sdk: the echo bot example', () => {
  let server: TestServer;
  let child: ChildProcess | undefined;
  const client = () =>
    new MyChatClient({ baseUrl: server.baseUrl, device: { clientType: 'pc', deviceId: 'p1', name: 't' } });

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    child?.kill('SIGINT');
    await server?.stop();
  });

  it('accepts a friend request and echoes a text back', async () => {
    const api = server.client(auth.AuthService);
    const botUser = await signUp(server, api, { nickname: 'Echo' });
    const alice = client();
    await alice.auth.login({
      to: { email: (await signUp(server, api, { nickname: 'Alice' })).email },
      password: PASSWORD,
    });
    // A request sent before the bot starts is accepted at start-up.
    await alice.contacts.request(botUser.session.user!.id, 'echo me');

    const out: string[] = [];
    child = spawn(process.execPath, [bot], {
      cwd: path.dirname(bot),
      env: {
        ...process.env,
        MYCHAT_URL: server.baseUrl,
        MYCHAT_EMAIL: botUser.email,
        MYCHAT_PASSWORD: PASSWORD,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    const deadline = Date.now() + 15_000;
    while (!out.join('').includes('is listening')) {
      if (Date.now() > deadline) throw new Error(`the bot did not start:\n${out.join('')}`);
      await new Promise((r) => setTimeout(r, 20));
    }

    const [friend] = await alice.contacts.friends();
    expect(friend?.user.id).toBe(botUser.session.user!.id);
    const echoed = new Promise<string>((resolve) =>
      alice.on(
        'message',
        (m) => m.senderId === friend!.user.id && m.content.type === 'text' && resolve(m.content.text),
      ),
    );
    await alice.connect();
    await alice.messages.sendText(friend!.conversationId, 'ping 42');
    expect(await echoed).toBe('ping 42');
    await alice.close();
  });
});
