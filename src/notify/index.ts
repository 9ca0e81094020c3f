// Argo CD-compatible notifications: configuration, conditions, templates, dedupe (pure), and the
// senders (webhook, Slack, Teams, SMTP) with retries. The controller wires them to Applications.
export * from './expr.js';
export * from './template.js';
export * from './config.js';
export * from './subscriptions.js';
export * from './engine.js';
export { BUILTIN_TEMPLATES, BUILTIN_TRIGGERS } from './catalog.js';
export * from './services/index.js';
export * from './pending.js';
