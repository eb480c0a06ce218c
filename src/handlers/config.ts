import { z } from 'zod';
import { list } from '../config/env-helpers.js';

/** The handlers module's part of the environment schema (composed in src/config/config.ts). */
export const handlersEnv = {
  /**
   * Handler modules to load beside the built-in handlers, comma-separated paths (absolute, or
   * relative to the working directory). Each is an ES module whose default export registers
   * handlers on the registry; the stock image is extended by mounting one. Plain JavaScript
   * only: Node loads it as is, so TypeScript must be compiled first.
   */
  HANDLERS_MODULE: z
    .string()
    .optional()
    .transform((value) => (value ? list(value) : []))
    .pipe(z.array(z.string().regex(/\.m?js$/, 'each module must be a .js or .mjs file (compile TypeScript to JavaScript first)'))),
};

type HandlersEnv = { [K in keyof typeof handlersEnv]: z.output<(typeof handlersEnv)[K]> };

export function handlersConfigOf(env: HandlersEnv) {
  return {
    /** As given; resolved against the working directory when loaded. Empty: none. */
    modules: env.HANDLERS_MODULE as readonly string[],
  };
}

export type HandlersConfig = ReturnType<typeof handlersConfigOf>;
