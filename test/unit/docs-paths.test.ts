import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const DOCS = join(ROOT, 'docs');

/** Names docs/testing.md shows as the shape of a command, not as files that exist. */
const EXAMPLES = new Set(['test/unit/a.test.ts', 'test/integration/b.test.ts']);

/** The folders of `src/`: the docs also name its files from there (`composition/worker.ts`). */
const SRC_FOLDERS = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** Where the source → test map's abbreviations point (docs/testing.md). */
const TEST_FOLDERS: Record<string, string> = { u: 'unit', i: 'integration', e: 'e2e', l: 'load' };

/** `a/{b,c}.ts` stands for `a/b.ts` and `a/c.ts`. */
function expand(path: string): string[] {
  const braces = /\{([^{}]*)\}/.exec(path);
  if (!braces) return [path];
  return braces[1]
    .split(',')
    .flatMap((choice) => expand(path.slice(0, braces.index) + choice + path.slice(braces.index + braces[0].length)));
}

/** Whether `path` (relative to the repository) names something there; a `*` in its last part matches any text. */
function exists(path: string): boolean {
  if (!path.includes('*')) return existsSync(join(ROOT, path)) || existsSync(join(ROOT, `${path}.ts`));
  const pattern = new RegExp(`^${basename(path).split('*').map(escape).join('.*')}$`);
  const folder = join(ROOT, dirname(path));
  return existsSync(folder) && readdirSync(folder).some((name) => pattern.test(name));
}

const escape = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** Every repository path a doc names: `src/…` and `test/…` anywhere, `<src folder>/…` in backticks, and the map's `u/…`. */
function pathsIn(text: string): string[] {
  const named = [...text.matchAll(/(?<![\w./-])(?:src|test)\/[\w./{},*<>-]*/g)].map((match) => match[0]);
  for (const [, code] of text.matchAll(/`([^`\s]+)`/g)) {
    if (SRC_FOLDERS.includes(code.split('/')[0]) && code.includes('/')) named.push(`src/${code}`);
    const abbreviated = /^([uiel])\/([\w.-]+)$/.exec(code);
    if (abbreviated) named.push(`test/${TEST_FOLDERS[abbreviated[1]]}/${abbreviated[2]}.test.ts`);
  }
  return named
    .map((path) => path.replace(/[.,]+$/, ''))
    .filter((path) => !path.includes('<') && !EXAMPLES.has(path))
    .flatMap(expand);
}

describe('paths named in docs/', () => {
  const docs = readdirSync(DOCS).filter((name) => name.endsWith('.md'));

  it.each(docs)('docs/%s names only files and folders that exist', (doc) => {
    const missing = [...new Set(pathsIn(readFileSync(join(DOCS, doc), 'utf8')))].filter((path) => !exists(path));
    expect(missing).toEqual([]);
  });

  it('reads every kind of reference it claims to', () => {
    expect(
      pathsIn(
        'see src/a.ts, `composition/b.ts` and `u/c`; `slack/{d,e}.ts`, `src/slack/views/<message>.ts`, test/unit/a.test.ts.',
      ),
    ).toEqual(['src/a.ts', 'src/composition/b.ts', 'test/unit/c.test.ts', 'src/slack/d.ts', 'src/slack/e.ts']);
  });
});
