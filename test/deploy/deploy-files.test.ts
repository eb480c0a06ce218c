import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** No Docker engine here: check what the files say against what the service needs. */
const ROOT = new URL('../..', import.meta.url).pathname;
const read = (file: string) => readFileSync(`${ROOT}/${file}`, 'utf8');

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; image?: string; build?: string; depends_on?: unknown }>;
  };

  it('runs Redis with append-only persistence and noeviction', () => {
    const command = compose.services.redis!.command!.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('runs the receiver and a separate worker from the project image, against that Redis', () => {
    expect(compose.services.receiver!.command).toEqual(['node', 'dist/main.js', '--role', 'receiver']);
    expect(compose.services.worker!.command).toEqual(['node', 'dist/main.js', '--role', 'worker']);
    for (const name of ['receiver', 'worker']) {
      expect(compose.services[name]!.build).toBe('.');
      expect(compose.services[name]!.environment!.REDIS_URL).toBe('redis://redis:6379');
      expect(compose.services[name]!.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);

  it('is multi-stage on a current Node LTS image', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:(22|24)[-.]/);
  });

  it('runs the compiled service with node under tini, as a non-root user', () => {
    const user = dockerfile.match(/^USER\s+(\S+)/m)?.[1];
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)$/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
  });

  it('declares the embedded store\'s data directory as a volume the service user can write', () => {
    expect(dockerfile).toMatch(/^ENV DATA_DIR=\/app\/data$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/app\/data"\]$/m);
    expect(dockerfile).toMatch(/chown node:node \/app\/data/);
    expect(dockerfile.indexOf('chown node:node /app/data')).toBeLessThan(dockerfile.indexOf('USER node'));
  });

  it('builds dist/ in a stage of its own and ships it with production dependencies only', () => {
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    // npm start on a clone runs the same compiled entry point; npm ci builds it (prepare).
    expect(pkg.scripts.start).toMatch(/; exec node dist\/main\.js$/);
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.dependencies.tsx).toBeUndefined();
    expect(pkg.dependencies.typescript).toBeUndefined();
  });
});

it('runs the service with the same glibc malloc settings under npm start and in the image (the bench measures their effect on idle RSS)', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  const dockerfile = read('Dockerfile');
  const settings = { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072' };
  for (const [name, value] of Object.entries(settings)) {
    // A default: an operator's own value wins.
    expect(pkg.scripts.start).toContain(`${name}=\${${name}:-${value}}`);
    expect(dockerfile).toMatch(new RegExp(`^ENV .*\\b${name}=${value}\\b`, 'm'));
  }
});

describe('installing', () => {
  it('uses npm ci alone in CI and in the image, so a lock that npm ci refuses fails there', () => {
    const ci = read('.ci/run');
    const installs = [...ci.matchAll(/^[^#\n]*\bnpm (ci|install|i)\b.*$/gm)].map((m) => m[0].trim());
    expect(installs).toEqual(['npm ci']);
    const dockerInstalls = [...read('Dockerfile').matchAll(/^RUN .*\bnpm (ci|install|i)\b.*$/gm)].map((m) => m[0]);
    expect(dockerInstalls.length).toBe(2);
    for (const line of dockerInstalls) expect(line).not.toMatch(/\|\||npm (install|i)\b/);
  });
});
