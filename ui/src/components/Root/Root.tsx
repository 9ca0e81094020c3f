import { useCallback, useEffect, useMemo, useState } from 'react';
import { createApi } from '../../lib/api.js';
import { parseRoute, routeHash, type Route } from '../../lib/route.js';
import { AppList } from '../AppList/AppList.js';
import { AppPage } from '../AppPage/AppPage.js';
import { AppSetList, AppSetPage } from '../AppSets/AppSets.js';
import { ErrorMessage, Loading } from '../Feedback/Feedback.js';
import { Login } from '../Login/Login.js';
import { TopBar } from '../TopBar/TopBar.js';
import { AppsContext } from './context.js';
import { useAppStore } from './useAppStore.js';

type Session =
  | { state: 'checking' }
  | { state: 'out'; message?: string }
  | { state: 'in'; username: string }
  | { state: 'down'; error: unknown };

/** Follows the location hash. */
function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return useMemo(() => parseRoute(hash), [hash]);
}

/** The whole UI: checks the session, shows the login page or the app pages, owns the live app list. */
export function Root() {
  const route = useRoute();
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const [attempt, setAttempt] = useState(0);

  const onUnauthorized = useCallback((message: string) => {
    setSession((s) => (s.state === 'out' ? s : { state: 'out', message }));
  }, []);
  const api = useMemo(() => createApi(onUnauthorized), [onUnauthorized]);

  useEffect(() => {
    let cancelled = false;
    api
      .userInfo()
      .then(
        (u) =>
          !cancelled &&
          setSession(u.loggedIn ? { state: 'in', username: u.username ?? '' } : { state: 'out' }),
      )
      .catch((error: unknown) => {
        if (cancelled) return;
        const status = (error as { status?: number }).status;
        setSession(status === 401 ? { state: 'out' } : { state: 'down', error });
      });
    return () => {
      cancelled = true;
    };
  }, [api, attempt]);

  // Logged out: show the login page, remembering where to go back to.
  useEffect(() => {
    if (session.state === 'out' && route.page !== 'login') {
      const next = window.location.hash || '#/applications';
      window.location.hash = routeHash({ page: 'login', params: new URLSearchParams({ next }) });
    }
  }, [session.state, route.page]);

  const store = useAppStore(api, session.state === 'in');
  const username = session.state === 'in' ? session.username : '';
  const ctx = useMemo(() => ({ ...store, api, username }), [store, api, username]);

  const logout = async () => {
    await api.logout().catch(() => {});
    setSession({ state: 'out', message: 'You have logged out.' });
  };

  if (session.state === 'checking') return <Loading what="Mooring" />;
  if (session.state === 'down')
    return (
      <main className="page page--center">
        <ErrorMessage
          title="Cannot reach the Mooring server"
          error={session.error}
          onRetry={() => setAttempt((a) => a + 1)}
        />
      </main>
    );
  if (session.state === 'out' || route.page === 'login') {
    return (
      <Login
        api={api}
        message={session.state === 'out' ? session.message : undefined}
        onLoggedIn={(name) => {
          setSession({ state: 'in', username: name });
          const next = route.page === 'login' ? route.params.get('next') : null;
          window.location.hash =
            next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/applications';
        }}
      />
    );
  }
  return (
    <AppsContext.Provider value={ctx}>
      <TopBar username={session.username} stream={store.stream} onLogout={logout} />
      {route.page === 'app' ? (
        <AppPage
          key={`${route.namespace}/${route.name}`}
          namespace={route.namespace}
          name={route.name}
          params={route.params}
        />
      ) : route.page === 'list' ? (
        <AppList params={route.params} />
      ) : route.page === 'appsets' ? (
        <AppSetList />
      ) : route.page === 'appset' ? (
        <AppSetPage key={route.name} name={route.name} />
      ) : (
        <main className="page" id="main">
          <ErrorMessage title="Page not found" error={`There is no page at ${route.path}.`} />
          <a href="#/applications">Back to the applications</a>
        </main>
      )}
    </AppsContext.Provider>
  );
}
