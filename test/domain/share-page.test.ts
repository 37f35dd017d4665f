import { describe, expect, it } from 'vitest';
import { SHARE_PAGE_CSP, escapeHtml, renderBlock, renderNotFoundPage, renderSharePage } from '../../server/domain/share-page.js';

describe('the share page', () => {
  it('escapes the five HTML characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('renders each block type as text', () => {
    expect(renderBlock({ type: 'text', content: { text: 'a <b>' } })).toBe('<p>a &lt;b&gt;</p>');
    expect(renderBlock({ type: 'heading', content: { text: 'H', level: 1 } })).toBe('<h2>H</h2>');
    expect(renderBlock({ type: 'heading', content: { text: 'H', level: 6 } })).toBe('<h6>H</h6>');
    expect(renderBlock({ type: 'heading', content: { text: 'H', level: 3 } })).toBe('<h4>H</h4>');
    expect(renderBlock({ type: 'heading', content: { text: 'H' } })).toBe('<h2>H</h2>');
    expect(renderBlock({ type: 'code', content: { code: 'x<y', language: 'ts' } })).toBe(
      '<pre data-language="ts"><code>x&lt;y</code></pre>',
    );
    expect(renderBlock({ type: 'code', content: { code: 'x' } })).toBe('<pre><code>x</code></pre>');
    expect(renderBlock({ type: 'image', content: { url: 'https://e.x/a"b', alt: 'Chart' } })).toBe(
      '<p class="image">Chart (https://e.x/a&quot;b)</p>',
    );
    expect(renderBlock({ type: 'image', content: { url: `https://e.x/${'a'.repeat(300)}` } })).toBe(
      `<p class="image">Image (https://e.x/${'a'.repeat(188)})</p>`,
    );
    expect(renderBlock({ type: 'agent', content: {} })).toBe('<p class="ref">An agent card (not shared)</p>');
    expect(renderBlock({ type: 'session', content: {} })).toBe('<p class="ref">A session card (not shared)</p>');
    expect(renderBlock({ type: 'text', content: { text: 5 } })).toBe('<p></p>');
  });

  it('renders the whole page escaped, with no script, and the same not-found page', () => {
    const html = renderSharePage({ name: '<N>', description: 'D&', blocks: [{ type: 'text', content: { text: 'T' } }] });
    expect(html).toContain('<title>&lt;N&gt;</title>');
    expect(html).toContain('<h1>&lt;N&gt;</h1><p class="description">D&amp;</p><p>T</p>');
    expect(html).not.toContain('<script');
    expect(renderSharePage({ name: 'N', description: null, blocks: [] })).toContain('<h1>N</h1></main>');
    expect(renderNotFoundPage()).toContain('This link does not work');
    expect(SHARE_PAGE_CSP).toContain("default-src 'none'");
    expect(SHARE_PAGE_CSP).not.toContain('script');
  });
});
