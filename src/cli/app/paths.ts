/** The API path of the Applications of a namespace (or one of them). */
export function appPath(namespace: string, name?: string): string {
  return `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(namespace)}/applications${name ? `/${encodeURIComponent(name)}` : ''}`;
}
