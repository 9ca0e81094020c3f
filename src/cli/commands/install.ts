import type { Command } from '../command.js';
import { EXIT } from '../cli-error.js';
import { connect, explain } from '../kube.js';
import { parseOutput } from '../output.js';
import { applyManifests } from '../install/apply.js';
import { installManifests, manifestsJson, manifestsYaml, DEFAULT_IMAGE } from '../install/manifests.js';

/** `mooring install`: prints the install manifests, or applies them with server-side apply. */
const installCommand: Command = {
  name: 'install',
  summary: 'Print (or --apply) the manifests that install Mooring: CRDs, RBAC, the controller',
  args: [0, 0],
  options: {
    output: { type: 'string', short: 'o', help: 'yaml (default) or json', valueName: 'FORMAT' },
    namespace: {
      type: 'string',
      help: 'control-plane namespace for the controller, its Secrets and Applications (default argocd)',
      valueName: 'NS',
    },
    image: { type: 'string', help: `controller image (default ${DEFAULT_IMAGE})`, valueName: 'IMAGE' },
    'application-namespaces': {
      type: 'string',
      help: 'comma-separated namespaces (by name) whose Applications are managed too',
      valueName: 'NS,NS',
    },
    'manage-secrets': {
      type: 'boolean',
      help: 'let Applications deploy Secrets (grants reading every Secret: see deploy/README.md)',
    },
    apply: {
      type: 'boolean',
      help: 'apply to the cluster (server-side apply, field manager mooring-install) instead of printing',
    },
  },
  examples: [
    'mooring install | kubectl apply --server-side -f -',
    'mooring install --apply',
    'mooring install --namespace gitops --image registry.example.com/mooring:0.1.0 --apply',
    'mooring install --application-namespaces team-a,team-b -o json',
  ],
  run: async (ctx) => {
    // Manifests print as YAML unless told otherwise (parseOutput's own default is a table).
    const format = parseOutput((ctx.values.output as string | undefined) ?? 'yaml', ['yaml', 'json']);
    const objects = installManifests({
      namespace: ctx.values.namespace as string | undefined,
      image: ctx.values.image as string | undefined,
      applicationNamespaces: (ctx.values['application-namespaces'] as string | undefined)
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      manageSecrets: Boolean(ctx.values['manage-secrets']),
    });
    if (!ctx.values.apply) {
      ctx.out.write(format === 'json' ? manifestsJson(objects) : manifestsYaml(objects));
      return EXIT.ok;
    }
    const kube = connect(ctx.values);
    try {
      await applyManifests(kube, objects, (ref, action) => ctx.out.write(`${ref} ${action}\n`));
    } catch (err) {
      throw explain(err, kube);
    }
    return EXIT.ok;
  },
};

/** `mooring install`. */
export const installCommands: Command[] = [installCommand];
