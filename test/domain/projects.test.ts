import { describe, expect, it } from 'vitest';
import {
  FALLBACK_PROJECT_SLUG,
  checkNotEmpty,
  checkedProjectSlug,
  projectMetadata,
  projectName,
  projectSettings,
  projectSlugBase,
} from '../../server/domain/projects.js';
import { asData, thrown } from './thrown.js';

const nested = (depth: number): Record<string, unknown> => (depth <= 1 ? {} : { a: nested(depth - 1) });

describe('projectName', () => {
  it('collapses whitespace and keeps the rest as sent', () => {
    expect(projectName('  Q3 \t\n Roadmap  ')).toBe('Q3 Roadmap');
    expect(projectName('Ala')).toBe('Ala');
    expect(projectName('x'.repeat(255))).toBe('x'.repeat(255));
    expect(projectName('y')).toBe('y');
  });

  it('refuses lengths outside 1..255 after collapsing', () => {
    const message = 'must be 1 to 255 characters after collapsing whitespace';
    const expected = { status: 422, code: 'VALIDATION_ERROR', message: `name ${message}`, details: [{ path: 'body.name', message }] };
    expect(asData(thrown(() => projectName(' \t ')))).toEqual(expected);
    expect(asData(thrown(() => projectName('x'.repeat(256))))).toEqual(expected);
  });

  it('refuses invisible characters, naming the code point and position', () => {
    const message = 'must not contain the invisible character U+200B (character 2)';
    expect(asData(thrown(() => projectName('a\u200bb')))).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message: `name ${message}`,
      details: [{ path: 'body.name', message }],
    });
  });
});

describe('projectSlugBase', () => {
  it('slugifies like agents, with "project" for names with nothing usable', () => {
    expect(projectSlugBase('Q3 Roadmap')).toBe('q3-roadmap');
    expect(projectSlugBase('!!!')).toBe(FALLBACK_PROJECT_SLUG);
    expect(FALLBACK_PROJECT_SLUG).toBe('project');
    expect(projectSlugBase('Agent')).toBe('agent');
    expect(projectSlugBase('Ünïcödé')).toBe('unicode');
  });
});

describe('checkedProjectSlug', () => {
  it('passes ordinary slugs and refuses UUID-shaped ones', () => {
    expect(checkedProjectSlug('ala')).toBe('ala');
    expect(asData(thrown(() => checkedProjectSlug('0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0')))).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message: 'A slug may not be shaped like a UUID',
      details: [{ path: 'body.slug', message: 'must not be shaped like a UUID' }],
    });
  });
});

describe('project JSON limits', () => {
  it('metadata: 12 levels and 32 KB', () => {
    expect(projectMetadata(nested(12))).toEqual(nested(12));
    expect(thrown(() => projectMetadata(nested(13))).details).toEqual([{ path: 'body.metadata', message: 'must nest at most 12 levels' }]);
    const fits = { k: 'm'.repeat(32 * 1024 - 8) };
    expect(projectMetadata(fits)).toBe(fits);
    expect(thrown(() => projectMetadata({ k: 'm'.repeat(32 * 1024 - 7) })).details![0]!.path).toBe('body.metadata');
  });

  it('settings: 8 levels and 8 KB', () => {
    const fits = { k: 's'.repeat(8192 - 8) };
    expect(projectSettings(fits)).toBe(fits);
    expect(thrown(() => projectSettings({ k: 's'.repeat(8192 - 7) })).details).toEqual([
      { path: 'body.settings', message: 'must be at most 8192 bytes as JSON' },
    ]);
    expect(projectSettings(nested(8))).toEqual(nested(8));
    expect(thrown(() => projectSettings(nested(9))).details).toEqual([{ path: 'body.settings', message: 'must nest at most 8 levels' }]);
  });
});

describe('checkNotEmpty', () => {
  it('refuses an empty body with 400 and passes any field', () => {
    expect(asData(thrown(() => checkNotEmpty({})))).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
      message: 'The body is empty: send at least one field to change',
      details: undefined,
    });
    expect(() => checkNotEmpty({ name: undefined })).not.toThrow();
  });
});
