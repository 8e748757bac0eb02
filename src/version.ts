// The bridge's version, from package.json at the package root: one folder up from src/,
// two from dist/src/ (the image runs the compiled tree).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const file = [join(HERE, '../package.json'), join(HERE, '../../package.json')].find((f) => existsSync(f));

export const VERSION: string = file
  ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  : 'unknown';
