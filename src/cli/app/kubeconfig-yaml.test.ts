import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readKubeconfigYaml } from './kubeconfig-yaml.js';

/** Written by `kubectl config set-cluster/set-credentials/set-context/use-context` (kubectl 1.37). */
const KUBECTL = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0VSVAo=
    server: https://127.0.0.1:6443
  name: kind-kind
- cluster:
    insecure-skip-tls-verify: true
    server: https://10.0.0.1
  name: other
contexts:
- context:
    cluster: kind-kind
    namespace: team-a
    user: admin
  name: kind-kind
- context:
    cluster: other
    user: bot
  name: o
current-context: kind-kind
kind: Config
users:
- name: admin
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: Q0VSVAo=
- name: bot
  user:
    token: abc.def-ghi
`;

/** What yaml's parse gives, or undefined when it refuses the text. */
function yamlParse(text: string): unknown {
  try {
    return parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The reader's promise: undefined, or exactly what the yaml package reads. */
function expectFaithful(text: string): void {
  const read = readKubeconfigYaml(text);
  if (read !== undefined) expect(read, JSON.stringify(text)).toEqual(yamlParse(text));
}

describe('readKubeconfigYaml', () => {
  it('reads what kubectl config writes, as the yaml package does', () => {
    const variants = [
      KUBECTL,
      // Older kubectl versions add empty preferences, a null current-context or empty lists.
      `${KUBECTL}preferences: {}\n`,
      'apiVersion: v1\nclusters: null\ncontexts: []\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n',
      // Hand-edited: indented sequences, comments, quoted values, blank lines, a bare `-` item.
      `# my config\napiVersion: v1\nclusters:\n  - name: 'it''s'\n    cluster:\n      server: "https://a:1" \n\n      # the CA\n      certificate-authority: /etc/ca.crt\ncontexts:\n  -\n    name: c\n    context: {}\nkind: Config\n`,
    ];
    for (const text of variants) {
      const read = readKubeconfigYaml(text);
      expect(read, text).toBeDefined();
      expect(read).toEqual(parse(text));
    }
    expect(readKubeconfigYaml(KUBECTL)?.users).toEqual([
      { name: 'admin', user: { 'client-certificate-data': 'Q0VSVAo=', 'client-key-data': 'Q0VSVAo=' } },
      { name: 'bot', user: { token: 'abc.def-ghi' } },
    ]);
  });

  it('leaves to the yaml package every construct outside what kubectl writes', () => {
    const outside = [
      'a: &x 1\nb: *x\n', // anchors and aliases
      'a: &x b\nc: *x\n',
      'a: !!str b\n', // tags
      'a: [b, c]\n', // flow collections
      'a: {b: c}\n',
      'a: |\n  text\n', // block scalars
      'a: >-\n  text\n',
      '---\na: b\n', // document markers, several documents
      'a: b\n---\nc: d\n',
      'a: b\n...\n',
      '%YAML 1.2\n---\na: b\n',
      'a: 1\n', // numbers and other resolved scalars
      'a: 0x1F\n',
      'a: .inf\n',
      'a: ~\n',
      'a: +1\n',
      'a: -1\n',
      'a: b\na: c\n', // duplicate keys
      'a:\n\tb: c\n', // tabs, CRLF, a BOM
      'a: b\r\nc: d\r\n',
      '\uFEFFa: b\n',
      'a: b\n  c\n', // multi-line plain scalars
      'a:\n  b\n  c\n',
      'a: b # comment\n', // comments after a value
      "a: 'b' # comment\n",
      'a: "b\\nc"\n', // escapes
      'a: "b\n  c"\n',
      '<<: {a: b}\n', // merge keys, complex keys, quoted keys
      '? a\n: b\n',
      '"a": b\n',
      'true: a\n', // keys YAML reads as non-strings
      'null: a\n',
      'a: b: c\n',
      'a: b:\n',
      '- a\n- b\n', // a document that is not a mapping
      'a\n',
      '',
      '# only a comment\n',
      'a:\n- b\n  - c\n',
      'a:\n  b: c\n    d: e\n',
      'a:\n    b: c\n  d: e\n',
      'a: @b\n',
      'a: `b\n',
      'a: %b\n',
      'a: *\n',
    ];
    for (const text of outside) expect(readKubeconfigYaml(text), JSON.stringify(text)).toBeUndefined();
  });

  it('is never wrong: any one-character edit of a kubeconfig is read as yaml reads it, or left to it', () => {
    // Every position, with each character YAML gives a meaning to, inserted, or the character deleted.
    const chars = [' ', '\n', '-', ':', '#', "'", '"', '{', '}', '[', ']', '&', '*', '!', '|', '>', '0', 'a'];
    let read = 0;
    for (let i = 0; i <= KUBECTL.length; i++) {
      for (const c of chars) {
        const text = KUBECTL.slice(0, i) + c + KUBECTL.slice(i);
        expectFaithful(text);
        if (readKubeconfigYaml(text)) read++;
      }
      expectFaithful(KUBECTL.slice(0, i) + KUBECTL.slice(i + 1));
    }
    expect(read).toBeGreaterThan(1000); // the edits it reads are checked, not only refused
    // ~20,000 parses, each checked against yaml's: about a second alone, several on a loaded CI machine.
  }, 60_000);
});
