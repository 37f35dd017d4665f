import { describe, expect, it } from 'vitest';
import { MAX_PARTICIPANTS, checkCanAdd, checkCanRemove } from '../../server/domain/session-participants.js';
import { thrown } from './thrown.js';

describe('session participant rules', () => {
  it('adds a new agent below the cap; a present one or a full session is 409', () => {
    expect(() => checkCanAdd(['a'], 'b', 'bee')).not.toThrow();
    expect(thrown(() => checkCanAdd(['a', 'b'], 'b', 'bee'))).toMatchObject({
      code: 'CONFLICT',
      message: 'Agent bee already takes part in this session',
    });
    const full = Array.from({ length: MAX_PARTICIPANTS }, (_, i) => `a${i}`);
    expect(MAX_PARTICIPANTS).toBe(20);
    expect(() => checkCanAdd(full.slice(1), 'x', 'x')).not.toThrow();
    expect(thrown(() => checkCanAdd(full, 'x', 'x'))).toMatchObject({ code: 'CONFLICT', message: 'A session has at most 20 agents' });
  });

  it('removes a participant but never the last; a non-participant is 404', () => {
    expect(checkCanRemove(['a', 'b'], 'b', 'bee')).toBe('b');
    expect(thrown(() => checkCanRemove(['a', 'b'], undefined, 'zed'))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'Agent zed does not take part in this session',
    });
    expect(thrown(() => checkCanRemove(['a'], 'c', 'c'))).toMatchObject({ code: 'NOT_FOUND' });
    expect(thrown(() => checkCanRemove(['a'], 'a', 'a'))).toMatchObject({ code: 'CONFLICT' });
  });
});
