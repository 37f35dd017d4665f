import { readFileSync } from 'node:fs';
import GithubSlugger from 'github-slugger';
import { Lexer, Marked, walkTokens, type Token, type Tokens } from 'marked';
import { fromRoot } from '../paths.js';

/** The guide is the server's README: one file, read where it ships. */
export const guidePath = fromRoot('README.md');
export const GUIDE_URL = '/docs/guide';

/** A heading token with the id the rendered page gives it. */
type IdentifiedHeading = Tokens.Heading & { id: string };

/**
 * The README as marked tokens, every heading given its GitHub-style id in document order. The page and the
 * search index both read ids from here, so a citation's anchor is always one the page renders.
 */
export function lexGuide(markdown: string): Token[] {
  const tokens = Lexer.lex(markdown, { gfm: true });
  const slugger = new GithubSlugger();
  // walkTokens returns the callbacks' promises; these callbacks are synchronous.
  void walkTokens(tokens, (token) => {
    if (token.type === 'heading') (token as IdentifiedHeading).id = slugger.slug((token as Tokens.Heading).text);
  });
  return tokens;
}

export const headingId = (token: Tokens.Heading): string => (token as IdentifiedHeading).id;

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

// Raw HTML in the Markdown is shown as text: the page carries no markup, and so no script, that the
// README's author did not write as Markdown.
const renderer = new Marked({ gfm: true }).use({
  renderer: {
    heading(this: { parser: { parseInline(tokens: Token[]): string } }, token: Tokens.Heading) {
      const id = headingId(token);
      return `<h${token.depth} id="${escapeHtml(id)}"><a class="anchor" href="#${escapeHtml(id)}">#</a>${this.parser.parseInline(token.tokens)}</h${token.depth}>\n`;
    },
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
  },
});

// Inline styles only: the /docs policy allows 'unsafe-inline' styles and this page needs nothing else.
const STYLE = `
body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff; }
main { max-width: 56rem; margin: 0 auto; padding: 2rem 1.25rem 6rem; }
nav { font-size: 0.9rem; margin-bottom: 1.5rem; }
h1, h2, h3, h4 { line-height: 1.25; margin: 2rem 0 0.75rem; scroll-margin-top: 1rem; }
h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: 0.3rem; }
.anchor { color: #8c959f; text-decoration: none; margin-right: 0.4rem; font-weight: normal; }
a { color: #0969da; }
code { font: 0.875em ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 0.1em 0.3em; border-radius: 4px; }
pre { background: #f6f8fa; padding: 1rem; overflow-x: auto; border-radius: 6px; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; display: block; overflow-x: auto; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #d1d9e0; padding: 0.4rem 0.7rem; vertical-align: top; }
th { background: #f6f8fa; }
`;

/** The guide as one self-contained HTML page: no script, styles inline. */
export function renderGuide(markdown: string): string {
  const body = renderer.Parser.parse(lexGuide(markdown), renderer.defaults);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alumia API guide</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<nav><a href="/docs">API reference</a> · <a href="${GUIDE_URL}">Guide</a></nav>
${body}
</main>
</body>
</html>
`;
}

export const readGuide = (): string => readFileSync(guidePath, 'utf8');
