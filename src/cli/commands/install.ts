import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { UserError } from '../../core/index.js';
import type { Command } from '../command.js';
import { EXIT } from '../cli-error.js';
import { connect, explain } from '../kube.js';
import { parseOutput } from '../output.js';
import { applyManifests } from '../install/apply.js';
import {
  installManifests,
  manifestsJson,
  manifestsYaml,
  DEFAULT_IMAGE,
  type ValuesOverride,
} from '../install/manifests.js';
import { mergeValues } from '../install/values.js';

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
    values: {
      type: 'string',
      short: 'f',
      help: "a values file, as the Helm chart's (deploy/chart/mooring/values.yaml lists them)",
      valueName: 'FILE',
    },
    'rbac-mode': {
      type: 'string',
      help: 'cluster (default: least-privilege ClusterRoles) or namespaced (Roles in the control-plane and application namespaces only)',
      valueName: 'MODE',
    },
    'service-type': {
      type: 'string',
      help: "the server Service's type (default ClusterIP)",
      valueName: 'TYPE',
    },
    'skip-crds': { type: 'boolean', help: 'leave the CRDs out (crds.install=false)' },
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
    'mooring install -f my-values.yaml --rbac-mode namespaced --apply',
  ],
  run: async (ctx) => {
    // Manifests print as YAML unless told otherwise (parseOutput's own default is a table).
    const format = parseOutput((ctx.values.output as string | undefined) ?? 'yaml', ['yaml', 'json']);
    const objects = installManifests({
      namespace: ctx.values.namespace as string | undefined,
      values: await valuesFromFlags(ctx.values),
      image: ctx.values.image as string | undefined,
      applicationNamespaces: (ctx.values['application-namespaces'] as string | undefined)
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      manageSecrets: ctx.values['manage-secrets'] ? true : undefined,
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

/** The values of --values FILE, then of the flags that set one value each. */
async function valuesFromFlags(flags: Record<string, unknown>): Promise<ValuesOverride> {
  let values: ValuesOverride = {};
  const file = flags.values as string | undefined;
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UserError(
        `cannot read values file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    const parsed: unknown = parse(text);
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed)))
      throw new UserError(`values file ${file} is not a YAML map`);
    values = (parsed ?? {}) as ValuesOverride;
  }
  const set = (over: ValuesOverride) => (values = mergeValues(values, over));
  if (flags['rbac-mode']) set({ rbac: { mode: flags['rbac-mode'] } });
  if (flags['service-type']) set({ server: { service: { type: flags['service-type'] } } });
  if (flags['skip-crds']) set({ crds: { install: false } });
  return values;
}

/** `mooring install`. */
export const installCommands: Command[] = [installCommand];
