/**
 * Masks a phone number for logs: `+8613812345678` -> `+86***78`. Keeps the country
 * code's first digits and the last two; the fixed `***` hides the length.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^\d+]/g, '');
  if (digits.length < 6) return '***';
  return `${digits.slice(0, 3)}***${digits.slice(-2)}`;
}
