import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { simpleParser, type AddressObject } from 'mailparser';

/** One mail read back from the outbox, as a person would see it. */
export interface OutboxMail {
  /** The first recipient's address. */
  to: string;
  subject: string;
  text: string;
  /** The HTML part, or '' when there is none. */
  html: string;
  /** Full path of the `.eml` file. */
  file: string;
}

/** One text message read back from the outbox. */
export interface OutboxSms {
  to: string;
  text: string;
  createdAt: string;
  file: string;
}

// file names start with a UTC timestamp and a sequence, so name order is time order
async function listOutbox(dir: string, ext: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.endsWith(ext) && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n));
}

function firstAddress(to: AddressObject | AddressObject[] | undefined): string {
  const list = Array.isArray(to) ? to : to ? [to] : [];
  return list[0]?.value[0]?.address ?? '';
}

/** Every mail in the outbox, oldest first, parsed with mailparser. */
export async function readOutboxMails(dir: string): Promise<OutboxMail[]> {
  const mails: OutboxMail[] = [];
  for (const file of await listOutbox(dir, '.eml')) {
    const parsed = await simpleParser(await readFile(file));
    mails.push({
      to: firstAddress(parsed.to),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      file,
    });
  }
  return mails;
}

/** The newest mail to `address` (case-insensitive), or undefined when there is none. */
export async function latestMailTo(dir: string, address: string): Promise<OutboxMail | undefined> {
  const want = address.toLowerCase();
  return (await readOutboxMails(dir)).filter((m) => m.to.toLowerCase() === want).at(-1);
}

/** Every text message in the outbox, oldest first. */
export async function readOutboxSms(dir: string): Promise<OutboxSms[]> {
  const messages: OutboxSms[] = [];
  for (const file of await listOutbox(dir, '.json')) {
    const body = JSON.parse(await readFile(file, 'utf8')) as Omit<OutboxSms, 'file'>;
    messages.push({ to: body.to, text: body.text, createdAt: body.createdAt, file });
  }
  return messages;
}

/** The newest text message to `phone`, or undefined when there is none. */
export async function latestSmsTo(dir: string, phone: string): Promise<OutboxSms | undefined> {
  return (await readOutboxSms(dir)).filter((m) => m.to === phone).at(-1);
}

/**
 * The 6-digit code in a message body, the way a person would spot it: from plain text, or
 * from HTML with its tags (and so its style attributes, such as `#111827`) removed. Throws
 * when there is none or when two different ones appear, since either means a broken template.
 */
export function extractCode(body: string): string {
  const visible = body.replace(/<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]*>/g, ' ');
  const found = new Set(visible.match(/(?<!\d)\d{6}(?!\d)/g) ?? []);
  if (found.size !== 1) {
    throw new Error(`expected exactly one 6-digit code in the message, found ${found.size}`);
  }
  return [...found][0] as string;
}
