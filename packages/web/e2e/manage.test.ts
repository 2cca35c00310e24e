import { describe, expect, it } from 'vitest';
import {
  befriend,
  messageLog,
  newPage,
  openChat,
  PASSWORD,
  signUp,
  withBrowser,
  type Person,
} from './helpers.js';

/**
 * Managing things in the browser, as a person does: a friend request with a note, a group's
 * owner renaming it, writing its announcement, muting, handing it over and removing someone (with
 * the notices members read in the chat and the chat list),
 * and changing one's password (with the mistakes people make on the way).
 */
describe('web: requests with notes, group management, password change', { timeout: 120_000 }, () => {
  const setup = withBrowser();
  let ann: Person;
  let bob: Person;
  let cat: Person;

  it('a friend request carries a note: the sender sees it on the pending request, the receiver on theirs', async () => {
    [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await ann.page.getByRole('link', { name: 'Contacts' }).click();
    await ann.page.getByRole('searchbox', { name: 'Find people' }).fill(bob.email);
    await ann.page.getByRole('button', { name: 'Search' }).click();
    await ann.page.getByLabel('Message with your request').fill('Hi Bob, Ann from the hiking trip');
    await ann.page.getByRole('button', { name: 'Add friend: Bob' }).click();
    const annRequests = ann.page.getByRole('region', { name: 'Friend requests' });
    await annRequests.getByText('Your message: Hi Bob, Ann from the hiking trip').waitFor();

    await bob.page.getByRole('link', { name: /^Contacts/ }).click();
    const bobRequests = bob.page.getByRole('region', { name: 'Friend requests' });
    await bobRequests
      .getByRole('listitem')
      .filter({ hasText: 'Ann' })
      .getByText('Hi Bob, Ann from the hiking trip')
      .waitFor();
    await bob.page.getByRole('button', { name: 'Accept: Ann' }).click();
    await bob.page.getByRole('region', { name: 'Friends' }).getByRole('link', { name: 'Ann' }).waitFor();
  });

  it('the owner renames the group, writes an announcement (shown in the chat header), mutes, hands over and removes', async () => {
    cat = await signUp(setup.browser, setup.server, 'Cat');
    await befriend(cat, ann);
    const { page } = ann;
    await page.getByRole('link', { name: /^Contacts/ }).click();
    await page.getByRole('link', { name: 'Create group' }).click();
    await page.getByLabel('Group name').fill('Hiking');
    await page.getByRole('checkbox', { name: 'Bob' }).check();
    await page.getByRole('checkbox', { name: 'Cat' }).check();
    await page.getByRole('button', { name: 'Create group' }).click();
    await messageLog(ann).getByText('Ann created the group').waitFor();
    await page.getByRole('button', { name: 'Chat info' }).click();
    await page.getByRole('link', { name: 'Members' }).click();

    // Bad input first: an empty name is refused here, before any round trip.
    const info = page.getByRole('form', { name: 'Group info' });
    await info.getByLabel('Group name').fill('   ');
    await info.getByRole('button', { name: 'Save' }).click();
    await info.getByText('Use 1 to 64 characters.').waitFor();
    expect(await info.getByLabel('Group name').getAttribute('aria-invalid')).toBe('true');

    await info.getByLabel('Group name').fill('Trail crew');
    await info.getByLabel('Announcement').fill('Meet at the station at 8:00');
    // The group list refreshes before Save (here: a network blip, then the catch-up reloads the
    // groups): what the owner typed stays.
    const reloaded = page.waitForResponse((r) => r.url().includes('ListMyGroups'), { timeout: 30_000 });
    await ann.context.setOffline(true);
    await page.getByText('Offline.', { exact: false }).waitFor();
    await ann.context.setOffline(false);
    await reloaded;
    await page.waitForTimeout(200); // let Vue apply the reloaded list
    expect(await info.getByLabel('Announcement').inputValue()).toBe('Meet at the station at 8:00');
    expect(await info.getByLabel('Group name').inputValue()).toBe('Trail crew');
    await info.getByRole('button', { name: 'Save' }).click();
    await info.getByRole('status').getByText('Saved.').waitFor();
    await page.getByRole('heading', { name: 'Trail crew' }).waitFor();

    // Everyone sees the new name and the announcement above the chat.
    await openChat(bob, 'Trail crew');
    await bob.page.getByText('Meet at the station at 8:00').waitFor();
    // One save changed both: one notice says both.
    await messageLog(bob)
      .getByText('The group was renamed to “Trail crew” and the announcement was updated')
      .waitFor();

    // Mute Cat for 10 minutes: the owner sees it on the member, Cat cannot send.
    await page.getByRole('link', { name: /^Contacts/ }).click();
    await page.getByRole('link', { name: /^Trail crew/ }).click();
    const members = page.getByRole('list', { name: 'Members' });
    await page.getByRole('combobox', { name: 'Mute Cat' }).selectOption({ label: '10 minutes' });
    await members.getByRole('listitem').filter({ hasText: 'Cat' }).getByText('Muted').waitFor();
    await cat.page.getByRole('link', { name: /^Chats/ }).click();
    await cat.page
      .getByRole('list', { name: 'Chat list' })
      .getByRole('link', { name: /^Trail crew/ })
      .click();
    await cat.page.getByText('You cannot send messages here.').waitFor();
    await expect.poll(() => cat.page.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Unmute: Cat' }).click();
    await page.getByRole('combobox', { name: 'Mute Cat' }).waitFor();
    await cat.page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: 20_000 });
    await messageLog(bob).getByText('Cat was muted until').waitFor();
    await messageLog(bob).getByText('Cat can speak again').waitFor();

    // Mute everyone, then lift it.
    const all = page.getByRole('checkbox', { name: /Mute everyone/ });
    await all.check();
    await page.getByText('Everyone is muted').waitFor();
    await all.uncheck();
    await expect.poll(() => page.getByText('Everyone is muted').count()).toBe(0);
    await messageLog(bob).getByText('Everyone was muted except the owner and admins').waitFor();
    await messageLog(bob).getByText('The group is no longer muted').waitFor();

    // Removing asks first; cancel keeps Cat, confirm removes.
    await page.getByRole('button', { name: 'Remove: Cat' }).click();
    const ask = page.getByRole('alertdialog', { name: 'Remove Cat from the group?' });
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await members.getByRole('listitem').filter({ hasText: 'Cat' }).waitFor();
    await page.getByRole('button', { name: 'Remove: Cat' }).click();
    await ask.getByRole('button', { name: 'Remove' }).click();
    await expect
      .poll(() => members.getByRole('listitem').filter({ hasText: 'Cat' }).count(), { timeout: 20_000 })
      .toBe(0);

    // Hand the group to Bob: Ann becomes an admin and can no longer hand it over.
    await page.getByRole('button', { name: 'Make owner: Bob' }).click();
    await page
      .getByRole('alertdialog', { name: 'Make Bob the owner? You will become an admin.' })
      .getByRole('button', { name: 'Make owner' })
      .click();
    await members.getByRole('listitem').filter({ hasText: 'Owner' }).filter({ hasText: 'Bob' }).waitFor();
    await members.getByRole('listitem').filter({ hasText: 'Admin' }).filter({ hasText: 'Ann' }).waitFor();
    await expect.poll(() => page.getByRole('button', { name: /^Make owner/ }).count()).toBe(0);
    // The chat and the chat list say it the same way.
    await messageLog(bob).getByText('Ann made Bob the owner').waitFor();
    await page.getByRole('link', { name: /^Chats/ }).click();
    await page
      .getByRole('list', { name: 'Chat list' })
      .getByRole('link', { name: /^Trail crew/ })
      .getByText('Ann made Bob the owner')
      .waitFor();
    await cat.context.close();
  });

  it('changing the password: mistakes are shown under their field, the change works, the old password stops working', async () => {
    const { page } = bob;
    await page.getByRole('link', { name: 'Me' }).click();
    const form = page.getByRole('form', { name: 'Change password' });
    const submit = form.getByRole('button', { name: 'Change password' });
    const current = form.getByLabel('Current password');
    const next = form.getByLabel('New password', { exact: true });
    const again = form.getByLabel('New password again');

    await submit.click();
    await form.getByText('This field is required.').first().waitFor();
    expect(await current.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => current.evaluate((el) => el === document.activeElement)).toBe(true);

    await current.fill(PASSWORD);
    await next.fill('short');
    await again.fill('short');
    await submit.click();
    await form.getByText('Use at least 8 characters.').waitFor();

    await next.fill('a much longer secret 42');
    await again.fill('a much longer secret 43');
    await submit.click();
    await form.getByText('The two new passwords are not the same.').waitFor();

    // The server's answers: a wrong current password, a password too easy to guess.
    await current.fill('not my password 1');
    await again.fill('a much longer secret 42');
    await submit.click();
    await form.getByText('The current password is not right.').waitFor();
    await current.fill(PASSWORD);
    await next.fill('12345678');
    await again.fill('12345678');
    await submit.click();
    await form.getByText('That password is too short or too easy to guess.').waitFor();

    await next.fill('a much longer secret 42');
    await again.fill('a much longer secret 42');
    await submit.click();
    await form.getByRole('status').getByText('Your password has been changed.', { exact: false }).waitFor();
    // This device stays signed in.
    await page.getByRole('link', { name: /^Chats/ }).click();
    await page.getByRole('list', { name: 'Chat list' }).waitFor();

    const other = await newPage(setup.browser, setup.server);
    await other.page.goto('/login');
    await other.page.getByLabel('Email').fill(bob.email);
    await other.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await other.page.getByRole('button', { name: 'Log in' }).click();
    await other.page.getByText('The account or password is not right.').waitFor();
    await other.page.getByLabel('Password', { exact: true }).fill('a much longer secret 42');
    await other.page.getByRole('button', { name: 'Log in' }).click();
    await other.page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    await other.context.close();
  });

  it('the password form speaks Chinese, including the server’s answer', async () => {
    const p = await newPage(setup.browser, setup.server, { locale: 'zh-CN' });
    await p.page.goto('/login');
    await p.page.getByLabel('邮箱').fill(ann.email);
    await p.page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await p.page.getByRole('button', { name: '登录' }).click();
    await p.page.getByRole('navigation').first().waitFor();
    await p.page.goto('/me');
    const form = p.page.getByRole('form', { name: '修改密码' });
    await form.getByLabel('当前密码').fill('not my password 1');
    await form.getByLabel('新密码', { exact: true }).fill('another long secret 7');
    await form.getByLabel('再次输入新密码').fill('another long secret 7');
    await form.getByRole('button', { name: '修改密码' }).click();
    await form.getByText('当前密码不正确。').waitFor();
    await p.context.close();
  });
});
