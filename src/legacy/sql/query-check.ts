// The static check of an operator's SELECT (legacy.query, and the query of a query field)
// before it is ever sent: one statement, a SELECT or WITH … SELECT, no word that writes or
// locks, no placeholder of its own. The session is read-only as well; this check is what
// names the problem at start instead of at the first login.
import { LegacyConfigError } from '../errors.ts';

const WRITES = new Set([
  'insert',
  'update',
  'delete',
  'merge',
  'upsert',
  'create',
  'alter',
  'drop',
  'truncate',
  'rename',
  'grant',
  'revoke',
  'call',
  'exec',
  'execute',
  'lock',
  'into',
  'attach',
  'detach',
  'vacuum',
  'load_file',
  'outfile',
  'dumpfile',
  'handler',
]);

interface Scanned {
  /** Words outside literals, quoted identifiers and comments, lower-cased. */
  words: string[];
  /** Characters outside them: where a ; or ? is looked for. */
  code: string;
}

/** Splits SQL into what a parser would read as code, dropping literals, quoted names and comments. */
function scan(sql: string): Scanned {
  let code = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '#') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new Error('a /* comment is not closed');
      i = end + 2;
      code += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new Error(`a ${c} is not closed`);
        if (sql[j] === '\\' && c === "'") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      i = j + 1;
      code += c === "'" ? " '' " : ' name ';
    } else if (c === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end < 0) throw new Error(`a ${tag} string is not closed`);
      i = end + tag.length;
      code += " '' ";
    } else {
      code += c;
      i++;
    }
  }
  return { code, words: (code.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []) as string[] };
}

/**
 * Throws LegacyConfigError (at `key`) unless `sql` is one read-only SELECT. `placeholders`
 * is how many `?` it must hold: 0 for legacy.query, 1 for a query field (the user's id).
 */
export function checkReadOnlyQuery(sql: string, key: string, placeholders: 0 | 1): void {
  const refuse = (problem: string, fix: string): never => {
    throw new LegacyConfigError(key, `${key}: ${problem}. Fix: ${fix}.`);
  };
  let scanned: Scanned;
  try {
    scanned = scan(sql);
  } catch (err) {
    refuse((err as Error).message, 'close it');
    return;
  }
  const code = scanned.code.trim().replace(/;\s*$/, '');
  if (code.includes(';')) refuse('holds more than one statement', 'give one SELECT, with no ; inside');
  const first = scanned.words[0];
  if (first !== 'select' && first !== 'with') refuse('is not a SELECT', 'write a SELECT (or WITH … SELECT)');
  const writing = scanned.words.find((w) => WRITES.has(w));
  if (writing) refuse(`uses ${writing.toUpperCase()}, which writes or locks`, 'read only: a plain SELECT');
  if (/\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/i.test(code))
    refuse('takes row locks (FOR UPDATE/SHARE)', 'remove the locking clause');
  const marks = (code.match(/\?/g) ?? []).length + (code.match(/\$\d+/g) ?? []).length;
  if (marks !== placeholders) {
    refuse(
      placeholders === 0
        ? 'holds a placeholder (? or $1); the bridge binds its own values around the query'
        : `must hold exactly one ? (the user's id), and holds ${marks}`,
      placeholders === 0 ? 'write literals in the query, and no ? or $1' : 'write WHERE user_id = ? once',
    );
  }
}

/** The query with a trailing semicolon removed, so it can sit inside a derived table. */
export function withoutTrailingSemicolon(sql: string): string {
  return sql.trim().replace(/;\s*$/, '');
}
