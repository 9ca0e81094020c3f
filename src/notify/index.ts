// Argo CD-compatible notifications, the pure part: configuration, conditions, templates, dedupe.
// Delivery (webhook, Slack, Teams, SMTP) and controller wiring build on this.
export * from './expr.js';
export * from './template.js';
export * from './config.js';
export * from './subscriptions.js';
export * from './engine.js';
export { BUILTIN_TEMPLATES, BUILTIN_TRIGGERS } from './catalog.js';
