/**
 * An echo bot: accepts every friend request and answers each text it receives with the same text.
 *
 *   MYCHAT_URL=http://127.0.0.1:8080 MYCHAT_EMAIL=bot@example.com MYCHAT_PASSWORD=... \
 *     node packages/sdk/dist/examples/echo-bot.js
 */
import { MyChatClient } from '../index.js';

const env = (name: string) => process.env[name] ?? (console.error(`set ${name}`), process.exit(2));
const client = new MyChatClient({
  baseUrl: process.env.MYCHAT_URL ?? 'http://127.0.0.1:8080',
  device: { clientType: 'bot', deviceId: 'echo-bot-1', name: 'Echo bot' },
});
const me = await client.auth.login({ to: { email: env('MYCHAT_EMAIL') }, password: env('MYCHAT_PASSWORD') });

client.on('contact', async (e) => {
  if (e.kind === 'friend_request') await client.contacts.respond(e.requestId, 'accept').catch(console.error);
});
client.on('message', async (m, { source }) => {
  // Live messages from others only: not our own, and not the backlog pulled at start-up.
  if (m.senderId === me.id || source !== 'push' || m.content.type !== 'text') return;
  await client.messages
    .sendText(m.conversationId, m.content.text, { replyToSeq: m.seq })
    .catch(console.error);
});
client.on('state', (state, reason) => console.log(`[echo-bot] ${state}: ${reason}`));
client.on('kicked', () => process.exit(1));
process.on('SIGINT', () => void client.close().then(() => process.exit(0)));

for (const r of (await client.contacts.requests()).incoming)
  if (r.state === 'pending') await client.contacts.respond(r.id, 'accept');
await client.connect();
console.log(`[echo-bot] ${me.nickname} (${me.id}) is listening`);
