import { describe, expect, it } from 'vitest';
import {
  requireAnotherWorkspace,
  requireWorkspaceManager,
  workspaceName,
  workspaceSlugBase,
  workspaceSummary,
} from '../../server/domain/workspaces.js';
import { asData, thrown } from './thrown.js';

const user = { type: 'user' as const, id: null, name: 'Ada' };

describe('requireWorkspaceManager', () => {
  it('lets owners and admins through and refuses members with 403', () => {
    expect(() => requireWorkspaceManager('owner')).not.toThrow();
    expect(() => requireWorkspaceManager('admin')).not.toThrow();
    expect(asData(thrown(() => requireWorkspaceManager('member')))).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      message: 'Only owners and admins manage workspaces',
      details: undefined,
    });
  });
});

describe('workspaceName', () => {
  it('trims, and refuses whitespace alone with a 422 naming body.name', () => {
    expect(workspaceName('  Research  ')).toBe('Research');
    expect(workspaceName('R & D')).toBe('R & D');
    expect(asData(thrown(() => workspaceName(' \t\n ')))).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message: 'body.name must not be blank',
      details: [{ path: 'body.name', message: 'must not be blank' }],
    });
  });
});

describe('workspaceSlugBase', () => {
  it('slugs the name like an agent’s, falling back on `workspace` (never `agent`)', () => {
    expect(workspaceSlugBase('Forschung & Entwicklung')).toBe('forschung-entwicklung');
    expect(workspaceSlugBase('!!!')).toBe('workspace');
    expect(workspaceSlugBase('0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0')).toBe('workspace-0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0');
  });
});

describe('requireAnotherWorkspace', () => {
  it('refuses deleting the last live workspace with 409 and allows it when another is left', () => {
    expect(() => requireAnotherWorkspace(2)).not.toThrow();
    for (const live of [1, 0]) {
      expect(asData(thrown(() => requireAnotherWorkspace(live)))).toEqual({
        status: 409,
        code: 'CONFLICT',
        message: "The organization's last workspace cannot be deleted; create another one first",
        details: undefined,
      });
    }
  });
});

describe('workspaceSummary', () => {
  it('says what happened to which workspace, by whom, and names the member of a grant', () => {
    expect(workspaceSummary('created', 'Research', user)).toBe('Workspace Research was created by Ada');
    expect(workspaceSummary('updated', 'Research', user)).toBe('Workspace Research was renamed by Ada');
    expect(workspaceSummary('deleted', 'Research', { type: 'api_key', id: null, name: 'ci' })).toBe(
      'Workspace Research was deleted by key "ci"',
    );
    expect(workspaceSummary('access_granted', 'Research', user, 'bo@example.com')).toBe(
      'bo@example.com was granted access to workspace Research by Ada',
    );
    expect(workspaceSummary('access_revoked', 'Research', user, 'bo@example.com')).toBe(
      'bo@example.com lost access to workspace Research, revoked by Ada',
    );
  });
});
