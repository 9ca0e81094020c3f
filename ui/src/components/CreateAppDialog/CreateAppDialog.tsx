import { useState, type FormEvent } from 'react';
import { stringify } from 'yaml';
import {
  emptyAppForm,
  formToApplication,
  parseApplicationYaml,
  validateAppForm,
  type AppForm,
} from '../../lib/app-form.js';
import { appHash } from '../../lib/route.js';
import { Dialog } from '../Dialog/Dialog.js';
import { ErrorMessage } from '../Feedback/Feedback.js';
import { useApps } from '../Root/context.js';

type TextKey = { [K in keyof AppForm]: AppForm[K] extends string ? K : never }[keyof AppForm];
type BoolKey = { [K in keyof AppForm]: AppForm[K] extends boolean ? K : never }[keyof AppForm];

const TEXT_FIELDS: [TextKey, string, string?][] = [
  ['name', 'Application name'],
  ['project', 'Project'],
  ['repoURL', 'Repository URL', 'https://github.com/myorg/myapp-config.git'],
  ['path', 'Path', 'overlays/production'],
  ['targetRevision', 'Revision', 'HEAD, a branch, tag or commit'],
  ['destServer', 'Destination cluster URL'],
  ['destName', 'or cluster name'],
  ['destNamespace', 'Destination namespace'],
  ['appNamespace', 'Application namespace'],
];
const BOOL_FIELDS: [BoolKey, string][] = [
  ['autoSync', 'Automated sync'],
  ['prune', 'Prune resources removed from Git'],
  ['selfHeal', 'Self-heal (revert manual changes)'],
  ['createNamespace', 'Auto-create the namespace'],
];

/** "New app": from a form, or from YAML pasted into a text box; opens the new app's page when created. */
export function CreateAppDialog(props: { defaultNamespace: string; onClose: () => void }) {
  const { api } = useApps();
  const [mode, setMode] = useState<'form' | 'yaml'>('form');
  const [form, setForm] = useState<AppForm>(() => emptyAppForm(props.defaultNamespace));
  const [yaml, setYaml] = useState('');
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problems = validateAppForm(form);

  const switchTo = (m: 'form' | 'yaml') => {
    // Carry what was typed into the form over to the YAML.
    if (m === 'yaml' && !yaml.trim()) setYaml(stringify(formToApplication(form)));
    setMode(m);
    setError(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setError(null);
    let app;
    try {
      if (mode === 'form') {
        if (Object.keys(problems).length) return;
        app = formToApplication(form);
      } else app = parseApplicationYaml(yaml);
    } catch (err) {
      setError(err);
      return;
    }
    setBusy(true);
    try {
      const created = await api.createApp(app);
      props.onClose();
      window.location.hash = appHash(
        created.metadata?.namespace ?? app.metadata.namespace ?? '',
        created.metadata?.name ?? app.metadata.name ?? '',
      );
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog title="New application" onClose={props.onClose} wide>
      <form onSubmit={submit} noValidate>
        <div className="segmented" role="group" aria-label="Describe the application with">
          <button type="button" aria-pressed={mode === 'form'} onClick={() => switchTo('form')}>
            Form
          </button>
          <button type="button" aria-pressed={mode === 'yaml'} onClick={() => switchTo('yaml')}>
            YAML
          </button>
        </div>
        {mode === 'form' ? (
          <div className="form-grid">
            {TEXT_FIELDS.map(([k, label, placeholder]) => (
              <div key={k} className="field">
                <label htmlFor={`new-app-${k}`}>{label}</label>
                <input
                  id={`new-app-${k}`}
                  name={k}
                  value={form[k]}
                  placeholder={placeholder}
                  onChange={(e) => setForm({ ...form, [k]: e.target.value })}
                  aria-invalid={touched && problems[k] ? true : undefined}
                  aria-describedby={touched && problems[k] ? `err-${k}` : undefined}
                />
                {touched && problems[k] && (
                  <span id={`err-${k}`} className="field__error">
                    {problems[k]}
                  </span>
                )}
              </div>
            ))}
            <fieldset className="field field--checks">
              <legend>Sync policy</legend>
              {BOOL_FIELDS.map(([k, label]) => (
                <label key={k} className="check">
                  <input
                    type="checkbox"
                    name={k}
                    checked={form[k]}
                    // Prune and self-heal are parts of automated sync: off (and cleared) without it.
                    disabled={(k === 'prune' || k === 'selfHeal') && !form.autoSync}
                    onChange={(e) =>
                      setForm(
                        k === 'autoSync' && !e.target.checked
                          ? { ...form, autoSync: false, prune: false, selfHeal: false }
                          : { ...form, [k]: e.target.checked },
                      )
                    }
                  />{' '}
                  {label}
                </label>
              ))}
              {touched && problems.autoSync && <span className="field__error">{problems.autoSync}</span>}
            </fieldset>
          </div>
        ) : (
          <label className="field">
            <span>Application manifest (YAML)</span>
            <textarea
              className="yaml-input"
              name="yaml"
              rows={18}
              spellCheck={false}
              value={yaml}
              onChange={(e) => setYaml(e.target.value)}
              placeholder={'apiVersion: argoproj.io/v1alpha1\nkind: Application\n…'}
            />
          </label>
        )}
        <ErrorMessage title="Cannot create the application" error={error} />
        <div className="dialog__actions">
          <button type="button" className="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
