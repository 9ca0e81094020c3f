/** The pages of the UI, as read from the URL's hash. */
export type Route =
  | { page: 'login'; params: URLSearchParams }
  | { page: 'list'; params: URLSearchParams }
  | { page: 'app'; namespace: string; name: string; params: URLSearchParams }
  | { page: 'appsets'; params: URLSearchParams }
  | { page: 'appset'; name: string; params: URLSearchParams }
  | { page: 'notFound'; path: string; params: URLSearchParams };

/** Reads a location hash (`#/applications/argocd/myapp?node=…`) into a route; '' is the list. */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'applications'))
    return { page: 'list', params };
  if (parts.length === 1 && parts[0] === 'login') return { page: 'login', params };
  if (parts.length === 1 && parts[0] === 'applicationsets') return { page: 'appsets', params };
  if (parts.length === 2 && parts[0] === 'applicationsets')
    return { page: 'appset', name: parts[1]!, params };
  if (parts.length === 3 && parts[0] === 'applications')
    return { page: 'app', namespace: parts[1]!, name: parts[2]!, params };
  return { page: 'notFound', path, params };
}

/** The hash of a route (the inverse of parseRoute). */
export function routeHash(route: Route): string {
  const qs = route.params.toString();
  const suffix = qs ? `?${qs}` : '';
  switch (route.page) {
    case 'login':
      return `#/login${suffix}`;
    case 'list':
      return `#/applications${suffix}`;
    case 'app':
      return `#/applications/${encodeURIComponent(route.namespace)}/${encodeURIComponent(route.name)}${suffix}`;
    case 'appsets':
      return `#/applicationsets${suffix}`;
    case 'appset':
      return `#/applicationsets/${encodeURIComponent(route.name)}${suffix}`;
    case 'notFound':
      return `#${route.path}${suffix}`;
  }
}

/** The hash of an application's page. */
export function appHash(namespace: string, name: string, params: Record<string, string> = {}): string {
  return routeHash({ page: 'app', namespace, name, params: new URLSearchParams(params) });
}
