import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARIABLES, loadConfig } from '../../src/config/config.js';

/** No Docker engine here: check what the files say against what the service needs. */
const ROOT = new URL('../..', import.meta.url).pathname;
const read = (file: string) => readFileSync(`${ROOT}/${file}`, 'utf8');

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  env_file?: unknown;
  expose?: string[];
  ports?: string[];
  profiles?: string[];
  volumes?: string[];
  image?: string;
  build?: string;
  depends_on?: unknown;
}
const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService> };
/** The variables docker-compose.yml itself reads (`${NAME...}`): the compose-only ones. */
const composeVariables = [...new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!))];

/** `.env.example`: a variable line is `NAME=value`, or `# NAME=value` for one left at its default. */
const envExample = read('.env.example').split('\n');
const envLines = envExample.flatMap((text, index) => {
  const match = /^(# ?)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(text);
  return match ? [{ index, name: match[2]!, value: match[3]!, active: match[1] === undefined }] : [];
});

describe('docker-compose.yml', () => {

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

  it('publishes ports on Caddy only: the receiver, the worker and Redis are reached inside the network', () => {
    const publishing = Object.entries(compose.services).filter(([, service]) => service.ports !== undefined).map(([name]) => name);
    expect(publishing).toEqual(['caddy']);
    expect(compose.services.caddy!.ports).toEqual(expect.arrayContaining(['80:80', '443:443']));
    expect(compose.services.receiver!.expose).toContain('3000');
  });

  it('gives the receiver and the worker every variable of .env, which may be missing, and fixes the port Caddy proxies to', () => {
    for (const name of ['receiver', 'worker']) {
      const service = compose.services[name]!;
      expect(service.env_file).toEqual([{ path: '.env', required: false }]);
      expect(service.environment).toMatchObject({ PORT: '3000', HOST: '0.0.0.0' });
    }
  });

  it('serves /metrics on a port of its own, open to the compose network and published nowhere', () => {
    for (const name of ['receiver', 'worker']) {
      const { environment, expose } = compose.services[name]!;
      expect(environment!.METRICS_PORT).toMatch(/^\d+$/);
      expect(environment!.METRICS_PORT).not.toBe(environment!.PORT);
      expect(environment!.METRICS_HOST).toBe('0.0.0.0');
      expect(expose).toContain(environment!.METRICS_PORT);
    }
    for (const port of compose.services.caddy!.ports!) expect(port).not.toContain(compose.services.receiver!.environment!.METRICS_PORT);
  });

  it('runs Caddy always, from deploy/Caddyfile, with the hostnames and none of the secrets', () => {
    const caddy = compose.services.caddy!;
    expect(caddy.profiles).toBeUndefined();
    expect(caddy.volumes).toContain('./deploy/Caddyfile:/etc/caddy/Caddyfile:ro');
    expect(caddy.command).toEqual(['caddy', 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile']);
    expect(caddy.env_file).toBeUndefined();
    expect(Object.keys(caddy.environment!).sort()).toEqual(['ACCOUNT_API_HOST', 'ADMIN_HOST', 'PUBLIC_HOST']);
    // Every variable the Caddyfile reads without a default of its own comes from compose.
    const caddyfileVariables = [...read('deploy/Caddyfile').matchAll(/\{\$([A-Z][A-Z0-9_]*)(:[^}]*)?\}/g)];
    for (const [, name, fallback] of caddyfileVariables) {
      if (fallback === undefined) expect(Object.keys(caddy.environment!)).toContain(name);
    }
  });

  it('deploy/compose.local.yml publishes the receiver on the loopback interface only', () => {
    const local = parse(read('deploy/compose.local.yml')) as { services: Record<string, ComposeService> };
    expect(Object.keys(local.services)).toEqual(['receiver']);
    expect(local.services.receiver!.ports).toEqual(['127.0.0.1:3000:3000']);
  });
});

describe('.env.example', () => {
  const names = envLines.map((line) => line.name);

  it('lists every variable the service reads, each once, and besides them only those docker-compose.yml reads', () => {
    expect(ENV_VARIABLES.length).toBeGreaterThan(50);
    expect(ENV_VARIABLES.filter((name) => !names.includes(name))).toEqual([]);
    expect(names.filter((name) => !ENV_VARIABLES.includes(name) && !composeVariables.includes(name))).toEqual([]);
    expect(composeVariables.filter((name) => !names.includes(name))).toEqual([]);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it('says in a comment line above each variable what it is', () => {
    for (const { index, name } of envLines) {
      const above = envExample[index - 1] ?? '';
      expect(above, name).toMatch(/^# \S/);
      expect(envLines.some((line) => line.index === index - 1), `${name} has a variable above it, not its comment`).toBe(false);
    }
  });

  it('leaves every secret empty', () => {
    const secrets = envLines.filter(({ name }) => /(KEYS|SECRET|PASSWORD|TOKENS|TARGETS)$/.test(name));
    expect(secrets.map((line) => line.name)).toEqual(expect.arrayContaining(['KAKAO_ADMIN_KEYS', 'LOGTO_SIGNING_KEYS', 'ACCOUNT_API_TOKENS', 'ADMIN_PASSWORD', 'FORWARD_SECRET', 'REDIS_PASSWORD']));
    for (const { name, value } of secrets) expect(value, name).toBe('');
  });

  it('copied as it is, starts the receiver and the worker as compose runs them, on its Redis', () => {
    const active = Object.fromEntries(envLines.filter((line) => line.active).map((line) => [line.name, line.value]));
    for (const name of ['receiver', 'worker']) {
      const config = loadConfig({ ...active, ...compose.services[name]!.environment });
      expect(config.store).toMatchObject({ kind: 'redis', redis: { topology: { kind: 'single', url: 'redis://redis:6379' } } });
      expect(config.metrics.port).toBe(9464);
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

describe('README.md, Deploying and Going to production', () => {
  const readme = read('README.md');
  const section = (title: string) => {
    const start = readme.indexOf(`\n## ${title}\n`);
    expect(start, title).toBeGreaterThan(0);
    return readme.slice(start, readme.indexOf('\n## ', start + 1));
  };
  const caddyfileVariables = [...read('deploy/Caddyfile').matchAll(/\{\$([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);

  it('names only variables that something reads: the service, docker-compose.yml or deploy/Caddyfile', () => {
    const text = section('Deploying') + section('Going to production');
    const named = [...text.matchAll(/`([^`\n]+)`/g)].flatMap(([, code]) =>
      [...code!.matchAll(/(?:^|\s)([A-Z][A-Z0-9]*_[A-Z0-9_]+|PORT|HOST)(?==|\s|$)/g)].map((m) => m[1]!),
    );
    expect(named.length).toBeGreaterThan(20);
    const known = new Set([...ENV_VARIABLES, ...composeVariables, ...caddyfileVariables]);
    expect([...new Set(named)].filter((name) => !known.has(name))).toEqual([]);
  });

  it('goes through what to expose, Redis durability and availability, secrets, several receivers, backups and the consoles', () => {
    const checklist = section('Going to production');
    const headings = [...checklist.matchAll(/^\*\*(.+)\*\*$/gm)].map((m) => m[1]);
    expect(headings).toEqual(['What to expose', 'Redis: durability', 'Redis: high availability', 'Secrets', 'Several receivers behind a load balancer', 'Backups', 'Registering the URLs']);
    expect(readme.indexOf('\n## Going to production\n')).toBe(readme.indexOf('\n## ', readme.indexOf('\n## Deploying\n') + 1));
  });
});
