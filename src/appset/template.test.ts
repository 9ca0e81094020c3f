import { describe, expect, it } from 'vitest';
import { fasttemplate, renderApplication, renderString } from './template.js';
import { flattenParams, pathParams } from './params.js';
import { normalizeName, slugify } from './template-funcs.js';

const go = { goTemplate: true };
const strict = { goTemplate: true, goTemplateOptions: ['missingkey=error'] };

describe('fasttemplate (goTemplate: false)', () => {
  it('replaces {{key}} and {{ key }} with flat parameters and leaves unknown keys as written', () => {
    const params = flattenParams({ cluster: { name: 'dev', address: 'https://1.2.3.4' }, env: 'staging' });
    expect(fasttemplate('{{cluster.name}}-{{ env }}-{{unknown}}', params)).toBe('dev-staging-{{unknown}}');
    expect(fasttemplate('no placeholders', params)).toBe('no placeholders');
    expect(fasttemplate('{{unclosed', params)).toBe('{{unclosed');
  });

  it('flattens nested keys as the Git files generator does', () => {
    // Argo CD: "Within each file JSON fields are flattened into key/value pairs"
    const flat = flattenParams({
      aws_account: '123456',
      asset_id: 11223344,
      cluster: { owner: 'cluster-admin@company.com', name: 'engineering-dev', address: 'https://1.2.3.4' },
      list: ['a', 'b'],
    });
    expect(flat).toEqual({
      aws_account: '123456',
      asset_id: '11223344',
      'cluster.owner': 'cluster-admin@company.com',
      'cluster.name': 'engineering-dev',
      'cluster.address': 'https://1.2.3.4',
      'list.0': 'a',
      'list.1': 'b',
    });
  });

  it('gives a directory path, path[n], path.basename and path.basenameNormalized', () => {
    // Argo CD: "The right-most path name always becomes {{path.basename}}."
    const p = pathParams('apps/cluster_addons/one_two', false);
    expect(p).toEqual({
      path: 'apps/cluster_addons/one_two',
      'path.basename': 'one_two',
      'path.basenameNormalized': 'one-two',
      'path[0]': 'apps',
      'path[1]': 'cluster_addons',
      'path[2]': 'one_two',
    });
    expect(fasttemplate('{{path.basename}}', p)).toBe('one_two');
    expect(pathParams('clusters/a', false, 'config.json')['path.filename']).toBe('config.json');
  });
});

describe('Go templates (goTemplate: true)', () => {
  const params = {
    path: pathParams('overlays/staging', true).path,
    env: 'Staging',
    n: 3,
    labels: { team: 'a' },
  };

  it('reads nested parameters: .path.path, .path.segments, .path.basename', () => {
    expect(renderString('{{.path.path}} {{index .path.segments 0}} {{.path.basename}}', params, go)).toBe(
      'overlays/staging overlays staging',
    );
  });

  it('has the sprig functions ApplicationSet users use', () => {
    const r = (s: string) => renderString(s, params, go);
    expect(r('{{.env | lower}}-{{upper .env}}')).toBe('staging-STAGING');
    expect(r('{{default "x" .missing}}')).toBe('x');
    expect(r('{{replace "-" "_" "a-b-c"}}')).toBe('a_b_c');
    expect(r('{{trunc 3 "abcdef"}}')).toBe('abc');
    expect(r('{{trimSuffix "-app" "web-app"}} {{trimPrefix "web-" "web-app"}}')).toBe('web app');
    expect(r('{{quote .env}}')).toBe('"Staging"');
    expect(r('{{toJson .labels}}')).toBe('{"team":"a"}');
    expect(r('{{toYaml .labels}}')).toBe('team: a');
    expect(r('{{b64enc "hi"}}')).toBe('aGk=');
    expect(r('{{join "," (splitList "/" .path.path)}}')).toBe('overlays,staging');
    expect(r('{{printf "%s-%d" .env .n}}')).toBe('Staging-3');
    expect(r('{{normalize "My_Cluster.Prod"}}')).toBe('my-cluster.prod');
    expect(r('{{slugify "Hello World, Again"}}')).toBe('hello-world-again');
    expect(r('{{if eq .env "Staging"}}yes{{else}}no{{end}}')).toBe('yes');
  });

  it('prints <no value> for a missing key by default, and fails with missingkey=error', () => {
    expect(renderString('{{.nope}}', params, go)).toBe('<no value>');
    // Argo CD: "The recommended setting of goTemplateOptions is ["missingkey=error"], which ensures that if undefined values are looked up by your template then an error is reported instead of being ignored silently."
    expect(() => renderString('{{.nope}}', params, strict)).toThrow('map has no entry for key "nope"');
    expect(() => renderString('{{.path.nope}}', params, strict)).toThrow('map has no entry for key "nope"');
  });

  it('reports a syntax error or an unknown function as one line, and rejects unknown options', () => {
    expect(() => renderString('{{.env', params, go)).toThrow(/unclosed action/);
    expect(() => renderString('{{ exec "rm" }}', params, go)).toThrow(/unknown function "exec"/);
    expect(() =>
      renderString('{{.env}}', params, { goTemplate: true, goTemplateOptions: ['bogus'] }),
    ).toThrow(/unknown option "bogus"/);
  });

  it('stops a template that takes too many steps (untrusted input)', () => {
    const many = { xs: Array.from({ length: 400 }, (_, i) => i) };
    const nested = '{{range .xs}}{{range $.xs}}{{end}}{{end}}';
    expect(() => renderString(nested, many, go)).toThrow(/more than 100000 steps/);
  });
});

describe('renderApplication', () => {
  const template = {
    metadata: { name: '{{.path.basename}}-app', labels: { env: '{{.path.basename}}' } },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example/repo.git', path: '{{.path.path}}', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}' },
    },
  };

  it('renders every string of the template and puts the Application in the set namespace', () => {
    // Argo CD: "Go templates are applied on a per-field basis, and only on string fields."
    const app = renderApplication(template, { path: pathParams('overlays/dev', true).path }, go, 'argocd');
    expect(app.metadata).toEqual({ name: 'dev-app', labels: { env: 'dev' }, namespace: 'argocd' });
    expect(app.spec.source?.path).toBe('overlays/dev');
    expect(app.spec.destination.namespace).toBe('dev');
  });

  it('merges templatePatch over the rendered template (Go templates only)', () => {
    // templatePatch: templated YAML merged over the rendered Application, e.g. a block that only some apps get.
    const mode = {
      goTemplate: true,
      templatePatch: `
spec:
  syncPolicy:
  {{- if .autoSync }}
    automated:
      prune: true
  {{- end }}
metadata:
  annotations:
    owner: {{ .owner | quote }}
`,
    };
    const app = renderApplication(
      template,
      { path: pathParams('overlays/dev', true).path, autoSync: true, owner: 'ops' },
      mode,
      'argocd',
    );
    expect(app.spec.syncPolicy).toEqual({ automated: { prune: true } });
    expect(app.metadata.annotations).toEqual({ owner: 'ops' });
    expect(app.spec.source?.path).toBe('overlays/dev');
    expect(() => renderApplication(template, {}, { templatePatch: 'spec: {}' }, 'argocd')).toThrow(
      /templatePatch needs goTemplate: true/,
    );
  });
});

describe('normalize and slugify', () => {
  it('keep names valid for Kubernetes', () => {
    // Argo CD: "An additional normalize function makes any string parameter usable as a valid DNS name by replacing invalid characters with hyphens and truncating at 253 characters."
    expect(normalizeName('_Foo_Bar_')).toBe('foo-bar');
    expect(normalizeName('a'.repeat(300)).length).toBe(253);
    expect(slugify('A very long sentence with words', 12)).toBe('a-very-long');
  });
});
