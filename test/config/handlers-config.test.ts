import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('handler modules configuration (HANDLERS_MODULE)', () => {
  it('loads none by default', () => {
    expect(loadConfig({}).handlers).toEqual({ modules: [] });
  });

  it('reads several comma-separated .js and .mjs paths, as given', () => {
    const config = loadConfig({ HANDLERS_MODULE: ' /app/handlers.js , ./more/audit.mjs ' });
    expect(config.handlers.modules).toEqual(['/app/handlers.js', './more/audit.mjs']);
  });

  it('refuses TypeScript and other files, naming the variable', () => {
    for (const value of ['/app/handlers.ts', '/app/handlers.js,/app/extra.cjs', '/app/handlers']) {
      try {
        loadConfig({ HANDLERS_MODULE: value });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toEqual([
          'HANDLERS_MODULE: each module must be a .js or .mjs file (compile TypeScript to JavaScript first)',
        ]);
      }
    }
  });
});
