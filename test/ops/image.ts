// Reads the Dockerfile with a real parser (dockerfile-ast) into stages, applies .dockerignore
// the way the Docker builder reads it, and assembles the runtime stage's /app on disk from
// its COPY instructions, so a test can run what the image would run without Docker.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Copy, type Dockerfile, DockerfileParser, Env, From, type Instruction } from 'dockerfile-ast';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface Stage {
  name: string | undefined;
  /** The base: an image reference with build args resolved, or an earlier stage's name. */
  base: string;
  instructions: Instruction[];
}

export function parseDockerfile(text = readFileSync(join(REPO, 'Dockerfile'), 'utf8')): Dockerfile {
  return DockerfileParser.parse(text);
}

function resolveArgs(value: string, args: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? '',
  );
}

export function stagesOf(df: Dockerfile): Stage[] {
  const args: Record<string, string> = {};
  for (const a of df.getInitialARGs()) {
    const p = a.getProperty();
    if (p?.getName()) args[p.getName()] = p.getValue() ?? '';
  }
  const stages: Stage[] = [];
  for (const i of df.getInstructions()) {
    if (i instanceof From) {
      stages.push({
        name: i.getBuildStage() ?? undefined,
        base: resolveArgs(i.getImage() ?? '', args),
        instructions: [],
      });
    } else if (stages.length) {
      stages.at(-1)!.instructions.push(i);
    }
  }
  return stages;
}

export function argsOf(i: Instruction): string[] {
  return i.getArguments().map((a) => a.getValue());
}

export function copyFrom(i: Instruction): string | undefined {
  return i instanceof Copy ? (i.getFromFlag()?.getValue() ?? undefined) : undefined;
}

export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions) {
    if (i instanceof Env) for (const p of i.getProperties()) env[p.getName()] = p.getValue() ?? '';
  }
  return env;
}

/** .dockerignore as the builder reads it: paths from the context root, `!` re-includes. */
export function dockerignore(text = readFileSync(join(REPO, '.dockerignore'), 'utf8')) {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      const source = pattern
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      return { negate, re: new RegExp(`^${source}$`) };
    });
  /** True when `path` (relative to the context) is left out of the build context. */
  return (path: string): boolean => {
    const parts = path.split('/');
    let excluded = false;
    for (const rule of rules) {
      // A rule matching a parent directory covers everything beneath it.
      for (let n = 1; n <= parts.length; n++) {
        if (rule.re.test(parts.slice(0, n).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}

export function filesUnder(dir: string): string[] {
  const abs = join(REPO, dir);
  if (!statSync(abs).isDirectory()) return [dir];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(REPO, join(e.parentPath, e.name)));
}

/**
 * What a COPY --from=STAGE SOURCE brings, produced without Docker. Each case names what the
 * stage makes; a new kind of cross-stage copy must be added here before the test can pass.
 */
export interface StageOutputs {
  /** The compiled tree the build stage leaves at /app/dist. */
  dist: string;
}

function stageOutput(stage: string, source: string, outputs: StageOutputs): { path: string; link: boolean } {
  if (stage === 'build' && source === '/app/dist') return { path: outputs.dist, link: false };
  // prod-deps holds `npm ci --omit=dev`; the repository's node_modules is a superset of it.
  if (stage === 'prod-deps' && source === '/app/node_modules')
    return { path: join(REPO, 'node_modules'), link: true };
  throw new Error(`no stand-in for COPY --from=${stage} ${source}; teach test/ops/image.ts what it holds`);
}

/** Lays out the final stage's WORKDIR in `root` by replaying its COPY instructions. */
export function assembleRuntime(stage: Stage, root: string, outputs: StageOutputs): void {
  mkdirSync(root, { recursive: true });
  for (const i of stage.instructions) {
    if (!(i instanceof Copy)) continue;
    const args = argsOf(i).filter((a) => !a.startsWith('--'));
    const dest = args.at(-1)!;
    const from = copyFrom(i);
    for (const source of args.slice(0, -1)) {
      const { path, link } = from
        ? stageOutput(from, source, outputs)
        : { path: join(REPO, source), link: false };
      if (!existsSync(path)) throw new Error(`COPY source ${source} does not exist`);
      const isDir = statSync(path).isDirectory();
      const target = dest.endsWith('/') && !isDir ? join(root, dest, basename(source)) : join(root, dest);
      mkdirSync(dirname(target), { recursive: true });
      if (link) symlinkSync(path, target, 'dir');
      else cpSync(path, target, { recursive: true });
    }
  }
}
