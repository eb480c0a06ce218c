import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StartupError } from '../errors.js';
import type { RegisterHandlers } from './define-handlers.js';
import type { HandlerRegistry } from './registry.js';

/**
 * Loads the HANDLERS_MODULE modules in the order given and lets each register its handlers. A
 * module that cannot be found or loaded, whose default export is not a function, or whose
 * registration throws (an unknown event name, for one) stops start-up: a StartupError that names
 * the module, so the operator who mounted the file sees what to fix.
 */
export async function loadHandlerModules(paths: readonly string[], registry: HandlerRegistry): Promise<void> {
  // The same file named twice would register every handler twice, and run it twice per event.
  const files = [...new Set(paths.map((path) => resolve(path)))];
  for (const file of files) {
    const register = await importRegister(file);
    try {
      await register(registry);
    } catch (error) {
      throw new StartupError('ERR_HANDLERS_MODULE_REGISTER', `HANDLERS_MODULE ${file}: registering its handlers failed: ${reason(error)}`, { cause: error });
    }
  }
}

async function importRegister(file: string): Promise<RegisterHandlers> {
  // Checked first: import()'s own "cannot find module" names this loader as the importer.
  const found = await stat(file).catch(() => undefined);
  if (!found?.isFile()) throw new StartupError('ERR_HANDLERS_MODULE_NOT_FOUND', `HANDLERS_MODULE ${file}: no such file`);

  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    // Node's SyntaxError from import() carries no line; `node --check` prints it.
    const hint = error instanceof SyntaxError ? ` (node --check ${file} shows where)` : '';
    throw new StartupError('ERR_HANDLERS_MODULE_LOAD', `HANDLERS_MODULE ${file}: cannot be loaded: ${reason(error)}${hint}`, { cause: error });
  }
  if (typeof loaded.default !== 'function') {
    throw new StartupError(
      'ERR_HANDLERS_MODULE_EXPORT',
      `HANDLERS_MODULE ${file}: the default export must be a function that receives the handler registry (export default (registry) => { registry.on(...) }); got ${describe(loaded.default)}`,
    );
  }
  return loaded.default as RegisterHandlers;
}

const reason = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

const describe = (value: unknown) => (value === undefined ? 'no default export' : value === null ? 'null' : `a ${typeof value}`);
