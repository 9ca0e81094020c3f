import { useEffect, useState, type FormEvent } from 'react';
import type { Api } from '../../lib/api.js';
import { ThemeToggle } from '../TopBar/ThemeToggle.js';

/** Whether the server offers SSO (GET /api/v1/session/sso), and its identity provider's name. */
interface SsoInfo {
  enabled: boolean;
  name?: string;
}

/** Where the server's /auth/login starts an SSO login, coming back to the page shown now. */
function ssoLoginHref(): string {
  const here = `${window.location.pathname}${window.location.search}`;
  return `/auth/login?return_url=${encodeURIComponent(here.startsWith('/auth/') ? '/applications' : here)}`;
}

/**
 * The login page: username and password against POST /api/v1/session, and "Log in via SSO" when
 * argocd-cm has an oidc.config (the server's /auth/login, the identity provider, back here).
 */
export function Login(props: { api: Api; message?: string; onLoggedIn: (username: string) => void }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [version, setVersion] = useState('');
  const [sso, setSso] = useState<SsoInfo>({ enabled: false });

  useEffect(() => {
    props.api
      .settings()
      .then((s) => setVersion(s.version))
      .catch(() => {});
  }, [props.api]);

  useEffect(() => {
    fetch('/api/v1/session/sso', { credentials: 'same-origin' })
      .then((r) => (r.ok ? (r.json() as Promise<SsoInfo>) : { enabled: false }))
      .then(setSso)
      .catch(() => {});
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await props.api.login(username.trim(), password);
      props.onLoggedIn(username.trim());
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <div className="login__theme">
        <ThemeToggle />
      </div>
      <form
        className="login__card"
        onSubmit={submit}
        aria-describedby={error || props.message ? 'login-message' : undefined}
      >
        <h1 className="login__brand">
          <span className="brand-mark" aria-hidden="true">
            ⚓
          </span>{' '}
          Mooring
        </h1>
        <p className="muted">GitOps for Kubernetes. Sign in to see your applications.</p>
        {(error || props.message) && (
          <p
            id="login-message"
            className={error ? 'login__error' : 'login__info'}
            role={error ? 'alert' : 'status'}
          >
            {error || props.message}
          </p>
        )}
        {sso.enabled && (
          <>
            <a
              className="button button--primary button--block"
              href={ssoLoginHref()}
              // A link styled as the block button: centred, no underline.
              style={{ display: 'flex', justifyContent: 'center', textDecoration: 'none' }}
            >
              Log in via SSO
            </a>
            {sso.name && <p className="muted small">with {sso.name}</p>}
            <p className="muted small">or with a local account:</p>
          </>
        )}
        <label className="field">
          <span>Username</span>
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoFocus={!sso.enabled}
          />
        </label>
        <button
          type="submit"
          className={`button ${sso.enabled ? '' : 'button--primary '}button--block`}
          disabled={busy}
        >
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          The initial admin password:{' '}
          <code>
            kubectl -n argocd get secret argocd-initial-admin-secret -o jsonpath='&#123;.data.password&#125;'
            | base64 -d
          </code>
        </p>
        {version && <p className="muted small">Mooring {version}</p>}
      </form>
    </main>
  );
}
