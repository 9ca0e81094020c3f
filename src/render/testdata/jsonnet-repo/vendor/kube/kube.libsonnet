// A tiny library in a vendor folder, found through directory.jsonnet.libs.
{
  labels(name):: { 'app.kubernetes.io/name': name },
  deployment(name, ns, image, replicas):: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: name, namespace: ns, labels: $.labels(name) },
    spec: {
      replicas: replicas,
      selector: { matchLabels: $.labels(name) },
      template: {
        metadata: { labels: $.labels(name) },
        spec: { containers: [{ name: name, image: image }] },
      },
    },
  },
  service(name, ns, port):: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: name, namespace: ns, labels: $.labels(name) },
    spec: { selector: $.labels(name), ports: [{ port: port }] },
  },
  configMap(name, ns, data):: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: name, namespace: ns },
    data: data,
  },
}
