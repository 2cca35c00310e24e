import { describe, expect, it } from 'vitest';
import { renderPost } from './square.markdown.js';
import { decodeCursor, encodeCursor, hotKey } from './square.ranking.js';

/** The XSS corpus: each must come out with no active content at all. */
const CORPUS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '[click](javascript:alert(1))',
  '[click](JaVaScRiPt:alert(1))',
  '[click](  javascript:alert(1))',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[x](vbscript:msgbox(1))',
  '<svg onload=alert(1)><circle r=10 /></svg>',
  '<svg><script>alert(1)</script></svg>',
  '![x](javascript:alert(1))',
  '![x](https://evil.example/a.png" onerror="alert(1))',
  '<a href="javascript:alert(1)">x</a>',
  '<iframe src="https://evil.example"></iframe>',
  '<style>body{display:none}</style>',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '`<script>` in code is fine',
  '<<script>script>alert(1)<</script>/script>',
  'https://example.com/?q=<script>alert(1)</script>',
];

/** Anything that could run, load or restyle: a tag other than the allow list, or an attribute. */
function active(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/<\s*([a-z0-9]+)([^>]*)>/gi)) {
    const [, tag, attrs] = m;
    if (
      ![
        'p',
        'br',
        'strong',
        'em',
        's',
        'code',
        'pre',
        'blockquote',
        'ul',
        'ol',
        'li',
        'a',
        'h3',
        'h4',
        'h5',
        'h6',
        'hr',
      ].includes(tag!.toLowerCase())
    )
      found.push(m[0]);
    for (const a of attrs!.matchAll(/([a-z-]+)\s*=\s*"([^"]*)"/gi)) {
      const [, name, value] = a;
      if (!['href', 'rel', 'target', 'start'].includes(name!.toLowerCase())) found.push(a[0]);
      if (name === 'href' && !/^(https?:|mailto:)/i.test(value!)) found.push(a[0]);
    }
  }
  return found;
}

describe('square markdown', () => {
  it.each(CORPUS)('renders %s with nothing active', (src) => {
    const html = renderPost(src);
    expect(active(html)).toEqual([]);
    // Text that looks like markup is escaped (inert); no such element is ever made.
    expect(html).not.toMatch(/<(script|svg|img|iframe|style|math|div)/i);
    expect(html).not.toMatch(/<a [^>]*href="(?!https?:|mailto:)/i);
  });

  it('keeps the safe subset and marks links nofollow noopener', () => {
    const html = renderPost(
      '# Title\n\n**bold** _it_ ~~gone~~ `code`\n\n> quote\n\n- a\n- b\n\n[site](https://example.com)',
    );
    expect(html).toContain('<h3>Title</h3>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>it</em>');
    expect(html).toContain('<s>gone</s>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('<blockquote>');
    expect(html).toContain('<li>a</li>');
    expect(html).toContain(
      '<a href="https://example.com" rel="nofollow noopener noreferrer" target="_blank">site</a>',
    );
  });

  it('shows raw HTML as text rather than dropping what people wrote', () => {
    expect(renderPost('a <b>c</b>')).toBe('<p>a &lt;b&gt;c&lt;/b&gt;</p>\n');
  });
});

describe('hot score and cursors', () => {
  it('is deterministic, grows with likes and replies, and with creation time', () => {
    const t = Date.UTC(2026, 0, 1);
    expect(hotKey(3, 2, t)).toBe(hotKey(3, 2, t));
    expect(hotKey(0, 1, t)).toBeGreaterThan(hotKey(1, 0, t));
    expect(hotKey(10, 0, t)).toBeGreaterThan(hotKey(9, 0, t));
    expect(hotKey(0, 0, t + 1000)).toBeGreaterThan(hotKey(0, 0, t));
    expect(hotKey(0, 0, t)).toBe(hotKey(1, 0, t)); // log10(max(1, n)): 0 and 1 weigh the same
    // Ten times the engagement is worth 12.5 hours.
    expect(hotKey(100, 0, t)).toBe(hotKey(10, 0, t + 45_000_000));
    expect(Number.isSafeInteger(hotKey(1e9, 1e9, Date.UTC(2100, 0, 1)))).toBe(true);
  });

  it('round-trips cursors and refuses forged ones', () => {
    expect(decodeCursor(encodeCursor({ key: 123, id: '456' }))).toEqual({ key: 123, id: '456' });
    expect(decodeCursor('')).toBeUndefined();
    for (const bad of [
      '!!',
      Buffer.from('1:x').toString('base64url'),
      Buffer.from('99999999999999999999:1').toString('base64url'),
      'a'.repeat(200),
    ])
      expect(() => decodeCursor(bad)).toThrow(/bad cursor/);
  });
});
