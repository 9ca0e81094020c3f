// One object.
{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'single' }, data: { answer: std.toString(6 * 7) } }
