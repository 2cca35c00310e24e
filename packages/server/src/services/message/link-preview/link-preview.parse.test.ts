import { describe, expect, it } from 'vitest';
import { decodePage, firstLink, parsePage } from './link-preview.parse.js';

const at = new URL('https://news.example/a/b.html');

describe('parsePage', () => {
  it('reads og: tags first, resolving the image against the page', () => {
    const p = parsePage(
      `<html><head><title>Plain</title>
       <meta property="og:title" content="Big &amp; bold">
       <meta content='A "story"' property='og:description'>
       <meta property=og:site_name content=News>
       <meta property="og:image" content="/img/1.png?a=1&amp;b=2">
       </head><body><meta property="og:title" content="in the body"></body></html>`,
      at,
    );
    expect(p).toEqual({
      title: 'Big & bold',
      description: 'A "story"',
      siteName: 'News',
      imageUrl: 'https://news.example/img/1.png?a=1&b=2',
    });
  });

  it('falls back to <title>, the description meta and the host; drops controls and odd image schemes', () => {
    const p = parsePage(
      `<title>\n  Hello\u202e  world &#x1F600; &#65;</title><meta name="description" content="d">` +
        `<meta property="og:image" content="javascript:alert(1)">`,
      at,
    );
    expect(p).toEqual({
      title: 'Hello world 😀 A',
      description: 'd',
      siteName: 'news.example',
      imageUrl: '',
    });
    expect(parsePage(`<title>${'长'.repeat(300)}</title>`, at).title).toHaveLength(200);
  });

  it('decodes a page by its charset (header, then meta), UTF-8 otherwise', () => {
    const gbk = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]); // 你好 in GBK
    expect(decodePage(gbk, 'gbk')).toBe('你好');
    const withMeta = Buffer.concat([Buffer.from('<meta charset="gbk"><title>'), gbk]);
    expect(decodePage(withMeta, '')).toContain('你好');
    expect(decodePage(Buffer.from('héllo'), 'no-such-charset')).toBe('héllo');
  });
});

describe('firstLink', () => {
  it('finds the first http(s) link without trailing punctuation', () => {
    expect(firstLink('see https://example.com/a?b=1.')).toBe('https://example.com/a?b=1');
    expect(firstLink('看看https://例子.cn/路径，很好')).toBe('https://例子.cn/路径');
    expect(firstLink('(http://x.org/y)')).toBe('http://x.org/y');
    expect(firstLink('no link, ftp://x.org')).toBeUndefined();
  });
});
