import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { friendsOnTwoScreens, messageLog, openChat, withBrowser } from './helpers.js';

const SHOTS = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));

/**
 * The room's chat: Ann (desktop) and Bob (phone) in one listen-together room write to each other
 * in the room page's chat panel; the messages are those of the chat the room was created from.
 */
describe('web: room chat', { timeout: 180_000 }, () => {
  const setup = withBrowser();

  it('two pages in one room see each other in the room chat, stored in the linked chat', async () => {
    const [ann, bob] = await friendsOnTwoScreens(setup);
    await openChat(ann, 'Bob');
    await ann.page.getByRole('button', { name: 'Listen together' }).click();
    const annChat = ann.page.getByRole('region', { name: 'Room chat', exact: true });
    await annChat.waitFor();

    await openChat(bob, 'Ann');
    await messageLog(bob).getByRole('link', { name: 'Join' }).click();
    await bob.page.getByRole('button', { name: 'Join', exact: true }).click();
    const bobChat = bob.page.getByRole('region', { name: 'Room chat', exact: true });
    await bobChat.waitFor();

    // Each sees the other's message arrive live in the room's chat log.
    await annChat.getByRole('textbox', { name: 'Message the room' }).fill('Hello from the room');
    await annChat.getByRole('button', { name: 'Send' }).click();
    const bobLog = bobChat.getByRole('log', { name: 'Room chat messages' });
    await bobLog.getByText('Hello from the room').waitFor({ timeout: 10_000 });
    const box = bobChat.getByRole('textbox', { name: 'Message the room' });
    await box.fill('Nice song, 好听');
    await box.press('Enter');
    const annLog = annChat.getByRole('log', { name: 'Room chat messages' });
    await annLog.getByText('Nice song, 好听').waitFor({ timeout: 10_000 });
    await expect.poll(() => annLog.getByText('Hello from the room').count()).toBe(1);
    await expect.poll(() => box.inputValue()).toBe('');

    // Phone: the chat is below the player; desktop: a column at the right of it.
    const player = (p: typeof ann) => p.page.getByRole('region', { name: 'Listen together' }).nth(1);
    const [bp, bc] = [await player(bob).boundingBox(), await bobChat.boundingBox()];
    expect(bc!.y).toBeGreaterThanOrEqual(bp!.y + bp!.height);
    const [ap, ac] = [await player(ann).boundingBox(), await annChat.boundingBox()];
    expect(ac!.x).toBeGreaterThanOrEqual(ap!.x + ap!.width);

    if (process.env.MYCHAT_SCREENSHOTS) {
      await ann.page.screenshot({ path: path.join(SHOTS, 'room-chat-desktop-light.png') });
      // Bob in Chinese: the panel loads the conversation's messages again after a reload.
      await bob.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
      await bob.page.reload();
      const zh = bob.page.getByRole('region', { name: '房间聊天', exact: true });
      await zh.getByRole('log', { name: '房间聊天消息' }).getByText('Hello from the room').waitFor();
      await zh.getByRole('textbox', { name: '在房间里发消息' }).waitFor();
      await bob.page.screenshot({ path: path.join(SHOTS, 'room-chat-phone-dark.png') });
    }

    // The messages are the linked chat's own.
    await ann.page.getByRole('link', { name: 'Open chat' }).click();
    await messageLog(ann).getByText('Nice song, 好听').waitFor();
    await messageLog(ann).getByText('Hello from the room').waitFor();
  });
});
