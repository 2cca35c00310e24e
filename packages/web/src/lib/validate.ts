/** Client-side checks that mirror the server's, so most mistakes are caught before a round trip. */

export type Rule = (v: string) => string | undefined; // an i18n key, or undefined when fine

const EMAIL =
  /^[^\s@"<>()[\]\\,;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

export const rules = {
  required: ((v) => (v.trim() ? undefined : 'validation.required')) as Rule,
  email: ((v) => (EMAIL.test(v.trim()) ? undefined : 'validation.email')) as Rule,
  phone: ((v) => (E164.test(v.replace(/[\s\-.()]/g, '')) ? undefined : 'validation.phone')) as Rule,
  password: ((v) => ([...v].length >= 8 ? undefined : 'validation.password')) as Rule,
  code: ((v) => (/^\d{6}$/.test(v.trim()) ? undefined : 'validation.code')) as Rule,
  nickname: ((v) => {
    const n = [...v.trim()].length;
    return n >= 1 && n <= 32 ? undefined : 'validation.nickname';
  }) as Rule,
};

/** The first failing rule's key; "required" first for empty values. */
export function check(value: string, list: Rule[]): string | undefined {
  if (!value.trim()) return 'validation.required';
  for (const r of list) {
    const k = r(value);
    if (k) return k;
  }
  return undefined;
}

export const normalizePhone = (v: string) => v.replace(/[\s\-.()]/g, '');
