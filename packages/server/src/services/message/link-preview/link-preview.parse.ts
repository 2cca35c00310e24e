/** What a page says about itself (og: tags, else <title> and the description meta tag). */
export interface PagePreview {
  title: string;
  description: string;
  siteName: string;
  /** The og:image, resolved against the page's URL (http(s) only), or ''. */
  imageUrl: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The few HTML character references a title or description uses. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Text for a card: entities decoded, controls and runs of white space collapsed, cut to `max` characters. */
function clean(s: string | undefined, max: number): string {
  const t = decodeEntities(s ?? '')
    .replace(/[\p{Cc}\p{Cf}\s]+/gu, ' ')
    .trim();
  const chars = [...t];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : t;
}

/** The attributes of one tag (`<meta a="b" c='d' e=f>`), names lower-cased. */
function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s"'>]+))/g))
    out.set(m[1]!.toLowerCase(), m[3] ?? m[4] ?? m[5] ?? '');
  return out;
}

/** Decodes a page's bytes by its charset (UTF-8 when unknown or unsupported). */
export function decodePage(body: Buffer, charset: string): string {
  const head = body.subarray(0, 2048).toString('latin1');
  const declared =
    charset || /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(head)?.[1]?.toLowerCase() || 'utf-8';
  try {
    return new TextDecoder(declared).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** Reads a page's preview from its HTML (only the <head> part matters; the rest is ignored). */
export function parsePage(html: string, pageUrl: URL): PagePreview {
  const end = html.search(/<\/head\s*>|<body[\s>]/i);
  const head = end > 0 ? html.slice(0, end) : html.slice(0, 200_000);
  const meta = new Map<string, string>();
  for (const m of head.matchAll(/<meta\b[^>]*>/gi)) {
    const a = attributes(m[0]);
    const key = (a.get('property') ?? a.get('name') ?? '').toLowerCase();
    const content = a.get('content');
    if (key && content !== undefined && !meta.has(key)) meta.set(key, content);
  }
  const title =
    meta.get('og:title') ?? meta.get('twitter:title') ?? /<title[^>]*>([\s\S]*?)<\/title>/i.exec(head)?.[1];
  const description =
    meta.get('og:description') ?? meta.get('twitter:description') ?? meta.get('description');
  let imageUrl = '';
  const image = meta.get('og:image') ?? meta.get('og:image:url') ?? meta.get('twitter:image');
  if (image) {
    try {
      const u = new URL(decodeEntities(image.trim()), pageUrl);
      if (u.protocol === 'https:' || u.protocol === 'http:') imageUrl = u.toString();
    } catch {
      // not a URL: no image
    }
  }
  return {
    title: clean(title, 200),
    description: clean(description, 300),
    siteName: clean(meta.get('og:site_name') ?? pageUrl.hostname, 100),
    imageUrl,
  };
}

/** The first http(s) link of a text, without trailing punctuation, or undefined. */
export function firstLink(text: string): string | undefined {
  const m = /\bhttps?:\/\/[^\s<>"'`，。！？、（）【】《》]+/i.exec(text);
  if (!m) return undefined;
  return m[0].replace(/[.,;:!?)\]}'"]+$/, '');
}
