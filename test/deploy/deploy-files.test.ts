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
    expect(compose.services.receiver!.command).toEqual(['npm', 'start', '--', '--role', 'receiver']);
    expect(compose.services.worker!.command).toEqual(['npm', 'start', '--', '--role', 'worker']);
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

  it('runs npm start as a non-root user', () => {
    const user = dockerfile.match(/^USER\s+(\S+)/m)?.[1];
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)$/);
    expect(dockerfile).toMatch(/^CMD \["npm", "start"\]$/m);
  });

  it('declares the embedded store\'s data directory as a volume the service user can write', () => {
    expect(dockerfile).toMatch(/^ENV DATA_DIR=\/app\/data$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/app\/data"\]$/m);
    expect(dockerfile).toMatch(/chown node:node \/app\/data/);
    expect(dockerfile.indexOf('chown node:node /app/data')).toBeLessThan(dockerfile.indexOf('USER node'));
  });

  it('installs from the lock file and ships every file npm start needs', () => {
    expect(dockerfile).toContain('npm ci --omit=dev');
    const pkg = JSON.parse(read('package.json')) as { scripts: { start: string }; dependencies: Record<string, string> };
    expect(pkg.scripts.start).toMatch(/^tsx src\/main\.ts/);
    expect(pkg.dependencies.tsx).toBeDefined(); // runtime dependency, present after --omit=dev
    expect(dockerfile).toMatch(/^COPY src \.\/src$/m);
  });
});

describe('package.json', () => {
  it('keeps running on Node 20', () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(pkg.engines.node).toMatch(/^>=20/);
  });
});
