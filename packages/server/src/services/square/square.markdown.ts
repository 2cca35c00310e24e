import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/**
 * Posts are written in a safe subset of Markdown and stored with their rendering. Two layers:
 * markdown-it with raw HTML off (any `<tag>` in the source is shown as text) and images off
 * (pictures come only as the post's files), then sanitize-html with an allow list, so even a
 * renderer bug cannot let a script, an event handler, a `javascript:` URL or SVG through.
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: true }).disable([
  'image',
]);

const ALLOWED_TAGS = [
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
];

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: { a: ['href', 'rel', 'target'], ol: ['start'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'escape',
  transformTags: {
    // Headings of a post stay below the page's own.
    h1: 'h3',
    h2: 'h4',
    a: (tagName, attribs) => ({
      tagName,
      attribs: {
        ...(attribs.href !== undefined && { href: attribs.href }),
        rel: 'nofollow noopener noreferrer',
        target: '_blank',
      },
    }),
  },
};

/** The sanitized HTML of a post's Markdown. */
export function renderPost(markdown: string): string {
  return sanitizeHtml(md.render(markdown), SANITIZE);
}
