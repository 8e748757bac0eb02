// The Dockerfile, checked without Docker: parsed and linted by real parsers (dockerfile-ast,
// dockerfile-utils), its stages and final image inspected, its build context checked against
// .dockerignore, and the runtime /app it assembles actually run from the compiled dist/.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Cmd, Copy, Entrypoint, Healthcheck, type Instruction, Run, User } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/bridge.ts';
import { Browser } from '../support/browser.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import {
  argsOf,
  assembleRuntime,
  copyFrom,
  dockerignore,
  envOf,
  filesUnder,
  parseDockerfile,
  REPO,
  stagesOf,
} from './image.ts';
import { eventually, tempDir, writeConfig } from './support.ts';

const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const stages = stagesOf(parseDockerfile(text));
const final = stages.at(-1)!;
const names = stages.map((s) => s.name);
const ofFinal = <T extends Instruction>(kind: abstract new (...a: never[]) => T): T[] =>
  final.instructions.filter((i): i is T => i instanceof kind);
const jsonOf = (i: Entrypoint | Cmd) => i.getJSONStrings().map((s) => s.getJSONValue());

describe('the Dockerfile', () => {
  it('has no problems according to the dockerfile-utils validator', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('has named build stages and a final runtime stage on node:24-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.every((s) => s.name)).toBe(true);
    expect(final.base).toBe('node:24-bookworm-slim');
    for (const [i, s] of stages.entries()) {
      const earlier = names.slice(0, i);
      expect(earlier.includes(s.base) || s.base === 'node:24-bookworm-slim', `${s.name} FROM ${s.base}`).toBe(
        true,
      );
    }
  });

  it('copies from earlier stages only', () => {
    for (const [i, s] of stages.entries()) {
      for (const from of s.instructions.map(copyFrom).filter(Boolean)) {
        expect(names.slice(0, i), `COPY --from=${from} in ${s.name}`).toContain(from);
      }
    }
  });

  it('installs with npm ci from the lockfile, and compiles with npm run build', () => {
    const runs = stages.flatMap((s) =>
      s.instructions.filter((i) => i instanceof Run).map((i) => argsOf(i).join(' ')),
    );
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm install\b|\bnpm i\b/.test(r))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json');
  });

  it('runs as a non-root user in the final stage', () => {
    const users = ofFinal(User).map((u) => argsOf(u)[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:.*)?$/);
  });

  it('puts only production dependencies into the final stage', () => {
    const finalRuns = ofFinal(Run).map((i) => argsOf(i).join(' '));
    expect(finalRuns.filter((r) => /\bnpm (ci|install|i)\b/.test(r))).toEqual([]);
    const modules = ofFinal(Copy).find((c) => argsOf(c).includes('/app/node_modules'));
    expect(modules, 'node_modules copied from a stage').toBeDefined();
    const source = stages.find((s) => s.name === copyFrom(modules!))!;
    const installs = source.instructions.filter((i) => i instanceof Run).map((i) => argsOf(i).join(' '));
    expect(installs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(installs.some((r) => /\bnpm ci\b(?!.*--omit=dev)/.test(r))).toBe(false);
  });

  it('checks its health with node against /healthz, since the slim image has no curl', () => {
    const [health] = ofFinal(Healthcheck);
    expect(health).toBeDefined();
    const command = health!.getArgumentsContent() ?? '';
    expect(command).toMatch(/^CMD \["node", "-e", /);
    expect(command).toContain('/healthz');
    expect(command).not.toMatch(/curl|wget/);
  });

  it('runs dist/ through bin/oidc-bridge.js start, on port 3000', () => {
    expect(envOf(final).OIDC_BRIDGE_DIST).toBe('1');
    expect(jsonOf(ofFinal(Entrypoint).at(-1)!)).toEqual(['node', 'bin/oidc-bridge.js']);
    expect(jsonOf(ofFinal(Cmd).at(-1)!)).toEqual(['start']);
    expect(final.instructions.some((i) => i.getKeyword() === 'EXPOSE' && argsOf(i).includes('3000'))).toBe(
      true,
    );
  });
});

describe('the build context', () => {
  const ignored = dockerignore();

  it('leaves out dependencies, builds, data, secrets and the git history', () => {
    for (const path of [
      'node_modules',
      'node_modules/pg/package.json',
      'dist',
      'data',
      '.git',
      '.env',
      'oidc-bridge.yaml',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('holds every file the Dockerfile copies from it', () => {
    for (const s of stages) {
      for (const copy of s.instructions.filter((i) => i instanceof Copy && !copyFrom(i))) {
        const sources = argsOf(copy)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1);
        for (const source of sources) {
          const files = filesUnder(source);
          expect(files.length, source).toBeGreaterThan(0);
          expect(files.filter(ignored), `${source} in ${s.name}`).toEqual([]);
        }
      }
    }
  });
});

describe('the runtime stage, assembled without Docker', () => {
  let root: string;
  let database: TestDatabase;
  let tsc: { code: number | null; output: string };

  beforeAll(async () => {
    const dir = tempDir('image');
    root = join(dir, 'app');
    const dist = join(dir, 'build-dist');
    // What `RUN npm run build` does in the build stage, into a directory of our own.
    tsc = await run(
      process.execPath,
      [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist],
      REPO,
    );
    assembleRuntime(final, root, { dist });
    database = await createPgDatabase('obt_image');
  }, 180_000);

  afterAll(async () => {
    await database?.drop();
    if (root) rmSync(join(root, '..'), { recursive: true, force: true });
  });

  it('compiles with `npm run build` without errors (the image build stops on any)', () => {
    expect(tsc.output).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('answers --help from dist/ with no TypeScript sources present', async () => {
    const r = await run(process.execPath, ['bin/oidc-bridge.js', '--help'], root, envOf(final));
    expect(r.code).toBe(0);
    expect(r.output).toContain('Usage: oidc-bridge <command>');
  });

  it('serves discovery, the login page and its HEALTHCHECK from dist/, and stops on SIGTERM', async () => {
    const port = await freePort();
    const config = writeConfig(
      join(root, '..'),
      'oidc-bridge.yaml',
      `issuer: http://127.0.0.1:${port}\nport: ${port}\nhost: 127.0.0.1\ndatabase: ${database.url}\n`,
    );
    const env = { ...process.env, ...envOf(final), OIDC_BRIDGE_CONFIG: config };
    const added = await run(
      process.execPath,
      [
        'bin/oidc-bridge.js',
        'clients',
        'add',
        '--id',
        'img',
        '--redirect-uri',
        'http://127.0.0.1:8080/cb',
        '--secret',
        'img-secret',
      ],
      root,
      env,
    );
    expect(added.code, added.output).toBe(0);

    const entry = jsonOf(ofFinal(Entrypoint).at(-1)!);
    const cmd = jsonOf(ofFinal(Cmd).at(-1)!);
    const child = spawn(process.execPath, [...entry.slice(1), ...cmd], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      const base = `http://127.0.0.1:${port}`;
      await eventually(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok, 60_000);
      const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
      };
      expect(discovery.issuer).toBe(base);

      const auth = new URL(`${base}/auth`);
      auth.search = new URLSearchParams({
        client_id: 'img',
        response_type: 'code',
        scope: 'openid',
        redirect_uri: 'http://127.0.0.1:8080/cb',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      }).toString();
      const login = await new Browser().get(auth.toString());
      expect(login.status, output).toBe(200);
      expect(login.html).toContain('name="password"');

      const health = ofFinal(Healthcheck)[0]!;
      const script = JSON.parse((health.getArgumentsContent() ?? '').replace(/^CMD /, '')) as string[];
      const probe = script.map((a) => a.replace('127.0.0.1:3000', `127.0.0.1:${port}`));
      expect((await run(process.execPath, probe.slice(1), root)).code).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
