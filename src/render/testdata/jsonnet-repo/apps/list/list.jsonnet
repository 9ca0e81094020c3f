// A `List` kind: its items are the objects.
{
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second' } },
  ],
}
