import { describe, expect, it } from 'vitest';
import { befriend, messageLog, openChat, send, signUp, withBrowser, type Person } from './helpers.js';

/**
 * The web client in real Chromium against a real server (every module, real sockets), used the
 * way people use it: by role and label. The tests share one server and build on each other.
 */
describe('web: chat in the browser', { timeout: 90_000 }, () => {
  const setup = withBrowser();
  let ann: Person;
  let bob: Person;

  /** The delivery state shown under one's own message with this text. */
  const stateOf = (p: Person, text: string) =>
    messageLog(p).getByRole('article').filter({ hasText: text }).getByTestId('msg-state');

  it('two people sign up, become friends and chat both ways, seeing delivered and then read', async () => {
    [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);

    // Bob writes while Ann is elsewhere in the app: delivered (her client has it), not read.
    await openChat(bob, 'Ann');
    await send(bob, 'Hi Ann, it is Bob');
    await expect
      .poll(() => stateOf(bob, 'Hi Ann, it is Bob').textContent(), { timeout: 10_000 })
      .toContain('Delivered');
    // Ann sees the unread badge on the chat list, opens the chat: Bob sees "Read".
    await ann.page.getByRole('link', { name: /^Chats/ }).click();
    await ann.page.getByRole('link', { name: /^Bob, 1 unread/ }).waitFor();
    await openChat(ann, 'Bob');
    await messageLog(ann).getByText('Hi Ann, it is Bob').waitFor();
    await expect
      .poll(() => stateOf(bob, 'Hi Ann, it is Bob').textContent(), { timeout: 10_000 })
      .toContain('Read');

    // Ann answers; Shift+Enter makes a new line, Enter sends.
    const box = ann.page.getByRole('textbox', { name: 'Message' });
    await box.fill('Hello Bob!');
    await box.press('Shift+Enter');
    await box.pressSequentially('Second line');
    await box.press('Enter');
    await expect.poll(() => box.inputValue()).toBe('');
    const got = messageLog(bob).getByRole('article').filter({ hasText: 'Second line' });
    await got.waitFor();
    expect(await got.locator('p.text').innerText()).toBe('Hello Bob!\nSecond line');
    await expect.poll(() => stateOf(ann, 'Second line').textContent(), { timeout: 10_000 }).toContain('Read');

    // Typing shows in the other's header (the SDK sends at most one hint per 3 s: type like a person).
    void bob.page
      .getByRole('textbox', { name: 'Message' })
      .pressSequentially('typing slowly', { delay: 300 });
    await ann.page.getByText('Bob is typing…').waitFor({ timeout: 10_000 });
    await bob.page.waitForTimeout(4_000);
    await bob.page.getByRole('textbox', { name: 'Message' }).fill('');
  });

  it('reply and recall from the context menu', async () => {
    // Reply via the context menu.
    await messageLog(bob).getByRole('article').filter({ hasText: 'Second line' }).click({ button: 'right' });
    await bob.page.getByRole('menuitem', { name: 'Reply' }).click();
    await bob.page.getByText('Replying to Ann').waitFor();
    await send(bob, 'Quoting you');
    const quoted = messageLog(ann).getByRole('article').filter({ hasText: 'Quoting you' });
    await expect.poll(() => quoted.getByRole('button').first().textContent()).toContain('Ann: Hello Bob!');

    // Recall from the context menu.
    await send(bob, 'Oops, wrong chat');
    await messageLog(ann).getByText('Oops, wrong chat').waitFor();
    await messageLog(bob)
      .getByRole('article')
      .filter({ hasText: 'Oops, wrong chat' })
      .click({ button: 'right' });
    await bob.page.getByRole('menuitem', { name: 'Recall' }).click();
    await messageLog(ann).getByText('Bob recalled a message').waitFor();
    await expect.poll(() => messageLog(ann).getByText('Oops, wrong chat').count()).toBe(0);
  });

  it('one goes offline: messages wait, and arrive on return', async () => {
    await openChat(ann, 'Bob');
    await expect.poll(() => ann.page.getByTestId('connection-banner').textContent()).toBe('Online');

    await ann.context.setOffline(true);
    await ann.page.getByText('Offline. Messages will be sent when you are back online.').waitFor();
    // Ann writes while offline: it waits as "Sending".
    await send(ann, 'Written on the train');
    await expect.poll(() => stateOf(ann, 'Written on the train').textContent()).toContain('Sending');
    // Bob writes to the absent Ann: sent, not delivered.
    await send(bob, 'Are you there?');
    await send(bob, 'Call me when you land');
    await expect.poll(() => stateOf(bob, 'Call me when you land').textContent()).toContain('Sent');
    await ann.page.waitForTimeout(500);
    await expect.poll(() => messageLog(ann).getByText('Are you there?').count()).toBe(0);

    await ann.context.setOffline(false);
    await messageLog(ann).getByText('Call me when you land').waitFor({ timeout: 15_000 });
    await messageLog(ann).getByText('Are you there?').waitFor();
    await messageLog(bob).getByText('Written on the train').waitFor({ timeout: 15_000 });
    await expect
      .poll(() => stateOf(bob, 'Call me when you land').textContent(), { timeout: 10_000 })
      .toContain('Read');
    await expect
      .poll(() => stateOf(ann, 'Written on the train').textContent(), { timeout: 10_000 })
      .toContain('Read');
  });

  it('a group of three: create, mention, everyone sees everyone', async () => {
    const cat = await signUp(setup.browser, setup.server, 'Cat');
    await befriend(cat, ann);

    await ann.page.getByRole('link', { name: /^Contacts/ }).click();
    await ann.page.getByRole('link', { name: 'Create group' }).click();
    await ann.page.getByLabel('Group name').fill('Weekend hiking');
    await ann.page.getByRole('checkbox', { name: 'Bob' }).check();
    await ann.page.getByRole('checkbox', { name: 'Cat' }).check();
    await ann.page.getByRole('button', { name: 'Create group' }).click();
    await ann.page.getByRole('heading', { name: 'Weekend hiking' }).waitFor();
    await messageLog(ann).getByText('Ann created the group').waitFor();

    // @mention with the picker.
    const box = ann.page.getByRole('textbox', { name: 'Message' });
    await box.pressSequentially('@Ca');
    await ann.page
      .getByRole('listbox', { name: 'Mention someone' })
      .getByRole('option', { name: '@Cat' })
      .waitFor();
    await box.press('Enter');
    await expect.poll(() => box.inputValue()).toBe('@Cat ');
    await box.pressSequentially('bring the map');
    await box.press('Enter');

    for (const p of [bob, cat]) {
      await openChat(p, 'Weekend hiking');
      await messageLog(p).getByText('@Cat bring the map').waitFor();
    }
    await send(cat, 'Got it 🗺️');
    await send(bob, 'I bring snacks');
    for (const p of [ann, bob, cat]) {
      await messageLog(p).getByText('Got it 🗺️').waitFor();
      await messageLog(p).getByText('I bring snacks').waitFor();
    }

    // Members and roles.
    await ann.page.getByRole('button', { name: 'Chat info' }).click();
    await ann.page.getByRole('link', { name: 'Members' }).click();
    const members = ann.page.getByRole('list', { name: 'Members' });
    await members.getByRole('listitem').filter({ hasText: 'Owner' }).filter({ hasText: 'Ann' }).waitFor();
    await ann.page.getByRole('button', { name: 'Make admin: Bob' }).click();
    await members.getByRole('listitem').filter({ hasText: 'Admin' }).filter({ hasText: 'Bob' }).waitFor();
    await cat.context.close();
  });

  it('a reload shows the chats and history at once from IndexedDB, even with the server unreachable', async () => {
    await openChat(ann, 'Bob');
    // With the server unreachable, a reload still shows the conversation (IndexedDB store).
    await ann.context.route('**/mychat.*/**', (r) => r.abort());
    await ann.context.routeWebSocket(/\/ws$/, () => undefined);
    await ann.page.reload();
    await messageLog(ann).getByText('Quoting you').waitFor({ timeout: 5_000 });
    await ann.page.getByRole('link', { name: /^Bob/ }).first().waitFor();
    await ann.page
      .getByTestId('connection-banner')
      .filter({ hasText: /Connecting|Reconnecting/ })
      .waitFor();
  });
});
