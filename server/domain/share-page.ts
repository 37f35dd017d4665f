import type { SharedBlock, SharedProject } from './share-links.js';

/** Everything the page prints goes through here: the five characters HTML gives meaning to. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** One block as text: images by their alt text and address (not loaded: the page fetches nothing). */
export function renderBlock({ type, content }: SharedBlock): string {
  switch (type) {
    case 'heading': {
      const level = Math.min(6, Math.max(2, Number(content.level) + 1 || 2)); // the project's name is the h1
      return `<h${level}>${escapeHtml(str(content.text))}</h${level}>`;
    }
    case 'code': {
      const language = str(content.language);
      return `<pre${language ? ` data-language="${escapeHtml(language)}"` : ''}><code>${escapeHtml(str(content.code))}</code></pre>`;
    }
    case 'image': {
      const alt = str(content.alt) || 'Image';
      return `<p class="image">${escapeHtml(alt)} (${escapeHtml(str(content.url).slice(0, 200))})</p>`;
    }
    case 'agent':
      return '<p class="ref">An agent card (not shared)</p>';
    case 'session':
      return '<p class="ref">A session card (not shared)</p>';
    default:
      return `<p>${escapeHtml(str(content.text))}</p>`;
  }
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}pre{background:#f4f4f4;padding:.75rem;overflow:auto}p{white-space:pre-wrap}.ref,.image{color:#666;font-style:italic}';

/** The whole page of a shared project; only its name, description and blocks, escaped. */
export function renderSharePage(project: SharedProject): string {
  const description = project.description ? `<p class="description">${escapeHtml(project.description)}</p>` : '';
  return page(escapeHtml(project.name), `<h1>${escapeHtml(project.name)}</h1>${description}${project.blocks.map(renderBlock).join('')}`);
}

/** What an unknown, revoked or expired link shows: the same page whatever the reason. */
export const renderNotFoundPage = (): string =>
  page('Not found', '<h1>This link does not work</h1><p>It may have been revoked or expired.</p>');

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;

/** No script, no frame, nothing fetched: only the page's own inline style block runs. */
export const SHARE_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
