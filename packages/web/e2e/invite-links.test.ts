import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { befriend, messageLog, signUp, withBrowser } from './helpers.js';

const SHOT = fileURLToPath(
  new URL('../../../docs/screenshots/group-invite-links-desktop-light.png', import.meta.url),
);

/**
 * Invite links in the group's page, as an owner uses them: make one, see it among the working
 * links with who made it, revoke it, and the link stops letting people in. Members see neither
 * the list nor the button.
 */
describe('web: group invite links', { timeout: 120_000 }, () => {
  const setup = withBrowser();

  it('the owner lists and revokes links; a revoked link lets nobody in; members see no link controls', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);
    const { page } = ann;
    await page.getByRole('link', { name: /^Contacts/ }).click();
    await page.getByRole('link', { name: 'Create group' }).click();
    await page.getByLabel('Group name').fill('Book club');
    await page.getByRole('checkbox', { name: 'Bob' }).check();
    await page.getByRole('button', { name: 'Create group' }).click();
    await messageLog(ann).getByText('Ann created the group').waitFor();
    await page.getByRole('button', { name: 'Chat info' }).click();
    await page.getByRole('link', { name: 'Members' }).click();

    const links = page.getByRole('region', { name: 'Active invite links' });
    await links.getByText('No invite link works right now.').waitFor();
    await page.getByRole('button', { name: 'Create invite link' }).click();
    const url = await page.getByLabel('Invite link', { exact: true }).inputValue();
    expect(url).toMatch(/\/join\/[A-Za-z0-9_-]{22}$/);
    const revoke = links.getByRole('button', { name: /^Revoke the link Ann made on / });
    await revoke.waitFor();
    await expect.poll(() => links.getByRole('listitem').count()).toBe(1);
    await links
      .getByRole('listitem')
      .getByText(/^Made by Ann on .+; works until /)
      .waitFor();
    // Only `npm run screenshots` rewrites docs/screenshots; a test run leaves the tree clean.
    if (process.env.MYCHAT_SCREENSHOTS) await page.screenshot({ path: SHOT });

    // A member: no list, no button to make links.
    await bob.page.goto(new URL(page.url()).pathname);
    await bob.page.getByRole('heading', { name: 'Book club' }).waitFor();
    await bob.page.getByRole('button', { name: 'Leave group' }).waitFor();
    expect(await bob.page.getByRole('region', { name: 'Active invite links' }).count()).toBe(0);
    expect(await bob.page.getByRole('button', { name: 'Create invite link' }).count()).toBe(0);

    await revoke.click();
    await links.getByRole('status').getByText('The link no longer works.').waitFor();
    await links.getByText('No invite link works right now.').waitFor();
    // The box showing the revoked link goes with it.
    expect(await page.getByLabel('Invite link', { exact: true }).count()).toBe(0);

    const cat = await signUp(setup.browser, setup.server, 'Cat');
    await cat.page.goto(new URL(url).pathname);
    await cat.page.getByRole('alert').getByText('That invite link is not valid any more.').waitFor();
  });
});
