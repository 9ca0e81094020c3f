import {
  errorMessage,
  isUserError,
  type Application,
  type ApplicationSet,
  type ApplicationSetCondition,
  type ApplicationSetStatus,
  type Logger,
} from '../core/index.js';
import { runGenerator, type GeneratorContext } from './generators.js';
import { RESOURCES_FINALIZERS, ownerOf, planApplications, resourceStatuses, type Plan } from './plan.js';
import { isRollingSync, rollingProgress, rollingSteps } from './rolling-sync.js';
import { mergeTemplates, renderApplication, type RenderMode } from './template.js';

/** What one pass of a set reads and writes. */
export interface AppSetDeps {
  context: (set: ApplicationSet, mode: RenderMode) => GeneratorContext;
  /** The Applications of the set's namespace. */
  applications: (namespace: string) => Application[];
  projectExists: (name: string) => boolean;
  /** Creates or updates one generated Application (with its owner reference). */
  apply: (set: ApplicationSet, app: Application) => Promise<void>;
  /** Deletes one Application the set no longer generates (its resources kept when `preserve`). */
  remove: (app: Application, preserve: boolean) => Promise<void>;
  writeStatus: (set: ApplicationSet, status: ApplicationSetStatus) => Promise<void>;
  /** RollingSync: asks for a sync of one Application (sets its `operation`). */
  sync?: (app: Application, prune: boolean) => Promise<void>;
  logger: Logger;
}

/** What a pass did, for logs and tests. */
export interface AppSetResult {
  plan?: Plan;
  errors: string[];
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** One pass: generate, render, validate, plan under the policy, write, report. */
export async function reconcileAppSet(set: ApplicationSet, deps: AppSetDeps): Promise<AppSetResult> {
  const namespace = set.metadata.namespace!;
  const spec = set.spec ?? ({} as ApplicationSet['spec']);
  const mode: RenderMode = {
    goTemplate: spec.goTemplate ?? false,
    goTemplateOptions: spec.goTemplateOptions,
    templatePatch: spec.templatePatch,
  };
  const errors: { reason: string; message: string }[] = [];
  const fail = (reason: string, err: unknown) =>
    errors.push({ reason, message: isUserError(err) ? err.message : errorMessage(err) });
  let paramsOk = true;
  const desired: Application[] = [];

  const rolling = isRollingSync(set);
  if (spec.strategy?.type && spec.strategy.type !== 'AllAtOnce' && !rolling)
    errors.push({
      reason: 'ApplicationSetUnsupported',
      message: `strategy ${spec.strategy.type} is not supported: use AllAtOnce or RollingSync; Applications are updated all at once`,
    });
  if (!Array.isArray(spec.generators) || spec.generators.length === 0) {
    paramsOk = false;
    errors.push({
      reason: 'ApplicationGenerationFromParamsError',
      message: 'spec.generators is empty: add a list, clusters, git, matrix or merge generator',
    });
  }
  const preserve = spec.syncPolicy?.preserveResourcesOnDeletion ?? false;
  const ctx = deps.context(set, mode);
  for (const [i, g] of (spec.generators ?? []).entries()) {
    let generated;
    try {
      generated = await runGenerator(g, ctx);
    } catch (err) {
      paramsOk = false;
      fail('ApplicationGenerationFromParamsError', prefixed(`generator ${i}`, err));
      continue;
    }
    const template = generated.template
      ? mergeTemplates(spec.template ?? {}, generated.template)
      : (spec.template ?? {});
    for (const params of generated.params) {
      try {
        const app = renderApplication(
          template as ApplicationSet['spec']['template'],
          params,
          mode,
          namespace,
        );
        // As Argo CD: the cascade finalizer unless the set preserves resources or the template names its own.
        if (app.metadata.finalizers === undefined && !preserve)
          app.metadata.finalizers = [RESOURCES_FINALIZERS[0]!];
        validate(app, deps);
        desired.push(app);
      } catch (err) {
        fail('RenderTemplateParamsError', err);
      }
    }
  }

  // RollingSync: the set syncs the apps itself, so none may sync on its own (as Argo CD does).
  const prunes = new Map<string, boolean>();
  if (rolling) {
    // Warned once per app: when the template asks for automated sync and the app still has it (or is new).
    const current = new Map(deps.applications(namespace).map((a) => [a.metadata.name!, a]));
    const automated = desired.filter((a) => {
      const have = current.get(a.metadata.name!);
      return a.spec?.syncPolicy?.automated && (!have || have.spec?.syncPolicy?.automated);
    });
    if (automated.length)
      deps.logger.warn('RollingSync turns off automated sync of the generated Applications', {
        set: `${namespace}/${set.metadata.name}`,
        applications: automated.map((a) => a.metadata.name),
      });
    for (const app of desired) {
      const policy = app.spec?.syncPolicy;
      const auto = policy?.automated as { prune?: boolean } | undefined;
      prunes.set(app.metadata.name!, auto?.prune ?? spec.strategy?.rollingSync?.defaultPrune ?? false);
      if (policy?.automated) {
        const { automated: _off, ...rest } = policy;
        app.spec.syncPolicy = rest;
      }
    }
  }

  const existing = deps.applications(namespace);
  const plan = planApplications(set, desired, existing, errors.length === 0);
  if (rolling) {
    // An app that still syncs on its own is updated, which takes automated sync off.
    const byName = new Map(existing.map((a) => [a.metadata.name!, a]));
    for (const app of desired) {
      const name = app.metadata.name!;
      if (plan.upToDate.includes(name) && byName.get(name)?.spec?.syncPolicy?.automated) {
        plan.upToDate = plan.upToDate.filter((n) => n !== name);
        plan.update.push(app);
      }
    }
  }
  for (const s of plan.skipped) errors.push({ reason: 'ApplicationSetConflict', message: s.reason });
  for (const app of [...plan.create, ...plan.update]) {
    try {
      await deps.apply(set, app);
    } catch (err) {
      fail(plan.create.includes(app) ? 'CreateApplicationError' : 'UpdateApplicationError', err);
    }
  }
  for (const app of plan.delete) {
    try {
      await deps.remove(app, preserve);
    } catch (err) {
      fail('DeleteApplicationError', err);
    }
  }
  if (plan.create.length || plan.update.length || plan.delete.length)
    deps.logger.info('applicationset applied', {
      set: `${namespace}/${set.metadata.name}`,
      created: plan.create.map((a) => a.metadata.name),
      updated: plan.update.map((a) => a.metadata.name),
      deleted: plan.delete.map((a) => a.metadata.name),
    });

  let applicationStatus;
  if (rolling) {
    const owned = deps.applications(namespace).filter((a) => ownerOf(a, set) === 'this');
    try {
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const progress = rollingProgress(rollingSteps(set), owned, set.status?.applicationStatus ?? [], now);
      applicationStatus = progress.statuses;
      for (const name of progress.toSync) {
        const app = owned.find((a) => a.metadata.name === name)!;
        try {
          await deps.sync?.(app, prunes.get(name) ?? spec.strategy?.rollingSync?.defaultPrune ?? false);
        } catch (err) {
          fail('SyncApplicationError', err);
        }
      }
      if (progress.toSync.length)
        deps.logger.info('applicationset RollingSync: syncing', {
          set: `${namespace}/${set.metadata.name}`,
          applications: progress.toSync,
        });
    } catch (err) {
      fail('ApplicationSetRollingSyncError', err);
      applicationStatus = set.status?.applicationStatus;
    }
  }

  const status: ApplicationSetStatus = {
    conditions: conditions(set, errors, paramsOk),
    resources: resourceStatuses(set, deps.applications(namespace)),
    ...(applicationStatus ? { applicationStatus } : {}),
  };
  await deps.writeStatus(set, status);
  return { plan, errors: errors.map((e) => e.message) };
}

function prefixed(what: string, err: unknown): Error {
  const msg = isUserError(err) ? err.message : errorMessage(err);
  return new Error(`${what}: ${msg}`);
}

/** A generated Application Mooring would reject, as one clear error. */
function validate(app: Application, deps: AppSetDeps): void {
  const name = app.metadata.name ?? '';
  if (!NAME.test(name))
    throw new Error(
      `the template renders an invalid Application name "${name.slice(0, 100)}": lowercase letters, digits, '-' and '.' only (the normalize function helps)`,
    );
  const project = (app.spec?.project as string | undefined) || 'default';
  if (!deps.projectExists(project))
    throw new Error(`Application "${name}": AppProject "${project}" does not exist`);
}

/** The three conditions Argo CD reports, keeping lastTransitionTime when a status does not change. */
function conditions(
  set: ApplicationSet,
  errors: { reason: string; message: string }[],
  paramsOk: boolean,
): ApplicationSetCondition[] {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const previous = new Map((set.status?.conditions ?? []).map((c) => [c.type, c]));
  const make = (type: string, ok: boolean, reason: string, message: string): ApplicationSetCondition => {
    const status = ok ? 'True' : 'False';
    const prev = previous.get(type);
    return {
      type,
      status,
      reason,
      message,
      lastTransitionTime: prev?.status === status ? (prev.lastTransitionTime ?? now) : now,
    };
  };
  const first = errors[0];
  const message = errors
    .map((e) => e.message)
    .join('; ')
    .slice(0, 4000);
  return [
    first
      ? make('ErrorOccurred', true, first.reason, message)
      : make(
          'ErrorOccurred',
          false,
          'ApplicationSetUpToDate',
          'All applications have been generated successfully',
        ),
    paramsOk
      ? make(
          'ParametersGenerated',
          true,
          'ParametersGenerated',
          'Successfully generated parameters for all Applications',
        )
      : make('ParametersGenerated', false, 'ErrorOccurred', message),
    first
      ? make('ResourcesUpToDate', false, first.reason, message)
      : make(
          'ResourcesUpToDate',
          true,
          'ApplicationSetUpToDate',
          'All applications have been generated successfully',
        ),
  ];
}
