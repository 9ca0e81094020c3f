// The command words and, for each, the module that defines the command: main() loads only the module
// of the command it runs (`mooring version` never loads the controller, the API or the Kubernetes
// client library). index.ts holds every command; registry.test.ts checks the two agree.
import type { Command } from '../command.js';

/** Loads the commands of one module. */
type Loader = () => Promise<Command[]>;

const controller: Loader = async () => [(await import('./controller.js')).controllerCommand];
const server: Loader = async () => [(await import('./server.js')).serverCommand];
const appRead: Loader = async () => (await import('./app-read.js')).appReadCommands;
const appList: Loader = async () => [(await import('./app-list.js')).listCommand];
const appWrite: Loader = async () => (await import('./app-write.js')).appWriteCommands;
const appSet: Loader = async () => (await import('./appset.js')).appSetCommands;
const login: Loader = async () => (await import('./login.js')).loginCommands;
const image: Loader = async () => (await import('./image.js')).imageCommands;
const install: Loader = async () => (await import('./install.js')).installCommands;
const admin: Loader = async () => (await import('./admin.js')).adminCommands;
const notifications: Loader = async () => (await import('./notifications.js')).notificationsCommands;
const misc: Loader = async () => {
  const m = await import('./misc.js');
  return [m.versionCommand, m.completionCommand];
};

/** Every command's words, in the order of the top-level help, with the loader of its module. */
export const COMMAND_LOADERS: [name: string, load: Loader][] = [
  ['controller', controller],
  ['server', server],
  ['app list', appList],
  ...['get', 'history', 'wait', 'diff', 'manifests'].map((w): [string, Loader] => [`app ${w}`, appRead]),
  ...['create', 'sync', 'rollback', 'set', 'refresh', 'terminate-op', 'delete'].map((w): [string, Loader] => [
    `app ${w}`,
    appWrite,
  ]),
  ...['list', 'get', 'create', 'delete'].map((w): [string, Loader] => [`appset ${w}`, appSet]),
  ...['login', 'logout', 'context'].map((w): [string, Loader] => [w, login]),
  ['image set', image],
  ['install', install],
  ...['repo add', 'repo list', 'repo rm', 'cluster add', 'cluster list', 'cluster rm'].map(
    (w): [string, Loader] => [w, admin],
  ),
  ...['proj create', 'proj list', 'proj get'].map((w): [string, Loader] => [w, admin]),
  ...['notifications test', 'notifications list'].map((w): [string, Loader] => [w, notifications]),
  ['version', misc],
  ['completion', misc],
];

/** The command names only, for finding which command argv names before anything is loaded. */
export const COMMAND_NAMES: { name: string }[] = COMMAND_LOADERS.map(([name]) => ({ name }));

/** Loads the command with exactly this name (one of COMMAND_NAMES). */
export async function loadCommand(name: string): Promise<Command> {
  const load = COMMAND_LOADERS.find(([n]) => n === name)?.[1];
  const command = (await load?.())?.find((c) => c.name === name);
  if (!command) throw new Error(`internal: no module defines the command "${name}"`);
  return command;
}
