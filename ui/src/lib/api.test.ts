import { describe, expect, it } from 'vitest';
import { appPath, errorMessage } from './api.js';

describe('errorMessage', () => {
  it("shows the server's message", () => {
    expect(
      errorMessage(
        403,
        '{"error":"permission denied","message":"permission denied: applications, sync, default/x","code":7}',
      ),
    ).toBe('permission denied: applications, sync, default/x');
    expect(errorMessage(400, '{"error":"bad request"}')).toBe('bad request');
    expect(errorMessage(502, 'upstream down')).toBe('upstream down');
  });
  it('falls back to words by status, never an HTML page', () => {
    expect(errorMessage(500, '<html><body>Internal</body></html>')).toBe('The server failed (HTTP 500).');
    expect(errorMessage(401, '')).toMatch(/Log in again/);
    expect(errorMessage(404, '')).toBe('Not found.');
  });
});

describe('appPath', () => {
  it('names the app and its namespace, escaping both', () => {
    expect(appPath('argocd', 'my app', 'sync')).toBe('api/v1/applications/my%20app/sync?appNamespace=argocd');
    expect(appPath('argocd', 'a', '', { refresh: 'hard', x: undefined })).toBe(
      'api/v1/applications/a?appNamespace=argocd&refresh=hard',
    );
  });
});
