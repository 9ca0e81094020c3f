// The guestbook of Argo CD's example apps, reduced: a Deployment and a Service from one parameter file,
// named after the ext var `app` and placed in the namespace the TLA `ns` gives.
local kube = import 'kube/kube.libsonnet';
local params = import 'params.libsonnet';

function(ns='default')
  [
    kube.deployment(std.extVar('app'), ns, params.image, params.replicas),
    kube.service(std.extVar('app'), ns, params.port),
    if params.withConfig then kube.configMap(std.extVar('app') + '-config', ns, { greeting: importstr 'greeting.txt' }),
  ]
