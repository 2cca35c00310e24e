import MarkdownIt from 'markdown-it';

/**
 * The composer's preview: the same Markdown subset the server renders (raw HTML off, so any
 * `<tag>` shows as text; images off; markdown-it refuses javascript:, vbscript:, file: and most
 * data: links). What others see is always the server's sanitized rendering, never this.
 */
const md = new MarkdownIt({ html: false, linkify: true, breaks: true }).disable(['image']);
md.renderer.rules.link_open = (tokens, i, options, _env, self) => {
  tokens[i]!.attrSet('rel', 'nofollow noopener noreferrer');
  tokens[i]!.attrSet('target', '_blank');
  return self.renderToken(tokens, i, options);
};

export const previewHtml = (text: string): string => md.render(text);
