import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../helpers/tools';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RULES = (require(CONFIG) as { forbidden: { name: string }[] }).forbidden.map((rule) => rule.name);

interface Violation {
  rule: string;
  from: string;
  to: string;
}

/** `npm run deps` on a tree of tiny modules: its exit code and what it reported. */
function cruise(files: Record<string, string>): { status: number | null; violations: Violation[] } {
  const dir = tempDir('dependency-rules');
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir.path, path)), { recursive: true });
      writeFileSync(join(dir.path, path), text);
    }
    // Packages resolve as in the project, so that a rule on node-forge or @aws-sdk sees the same paths.
    symlinkSync(join(ROOT, 'node_modules'), join(dir.path, 'node_modules'));
    const depcruise = (...options: string[]) =>
      spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules', '.bin', 'depcruise'), 'src', '--config', CONFIG, ...options],
        { cwd: dir.path, encoding: 'utf8' },
      );
    // As `npm run deps` runs it, for the exit code; then once more for what it found, in a form to compare.
    const { status } = depcruise();
    const result = JSON.parse(depcruise('--output-type', 'json').stdout) as {
      summary: { violations: { rule: { name: string }; from: string; to: string }[] };
    };
    return {
      status,
      violations: result.summary.violations.map(({ rule, from, to }) => ({ rule: rule.name, from, to })),
    };
  } finally {
    dir.remove();
  }
}

describe('layer rules (npm run deps)', () => {
  it('pass a tree where every layer imports only what it may', () => {
    const { status, violations } = cruise({
      'src/domain/certificate.ts': "import { randomUUID } from 'node:crypto';\nexport const serial = randomUUID();\n",
      'src/pki/ca.ts':
        "import forge from 'node-forge';\nimport { serial } from '../domain/certificate';\nexport const ca = [forge.pki, serial];\n",
      'src/ports.ts': "import type { ca } from './pki/ca';\nexport interface CaStore { load(): typeof ca }\n",
      'src/services/issue.ts':
        "import type { CaStore } from '../ports';\nimport { serial } from '../domain/certificate';\nexport const issue = (store: CaStore) => [store.load(), serial];\n",
      'src/adapters/ca-store.ts': "import type { CaStore } from '../ports';\nexport const store = {} as CaStore;\n",
      'src/slack/view.ts': "import { issue } from '../services/issue';\nexport const view = issue;\n",
      'src/config.ts': 'export const config = {};\n',
      'src/composition/core.ts':
        "import { store } from '../adapters/ca-store';\nimport { view } from '../slack/view';\nimport { config } from '../config';\nexport const wired = view(store) && config;\n",
      'src/handlers/worker.ts': "import { wired } from '../composition/core';\nexport const handler = () => wired;\n",
    });
    expect(violations).toEqual([]);
    expect(status).toBe(0);
  }, 60_000);

  it('fail on a violation of each rule, type-only imports included', () => {
    const expected: Violation[] = [
      { rule: 'no-circular', from: 'src/services/a.ts', to: 'src/services/b.ts' },
      { rule: 'no-orphans', from: 'src/services/lonely.ts', to: 'src/services/lonely.ts' },
      { rule: 'domain-is-pure', from: 'src/domain/certificate.ts', to: 'src/ports.ts' },
      { rule: 'pki-needs-only-the-domain', from: 'src/pki/ca.ts', to: 'src/services/a.ts' },
      { rule: 'services-see-only-ports', from: 'src/services/issue.ts', to: 'src/adapters/store.ts' },
      { rule: 'ports-speak-the-domain', from: 'src/ports.ts', to: 'src/services/a.ts' },
      { rule: 'adapters-do-not-wire', from: 'src/adapters/store.ts', to: 'src/slack/view.ts' },
      { rule: 'only-runtimes-use-the-wiring', from: 'src/slack/view.ts', to: 'src/composition/core.ts' },
      { rule: 'slack-does-not-touch-aws', from: 'src/slack/view.ts', to: 'src/adapters/store.ts' },
      { rule: 'handlers-only-start-the-wiring', from: 'src/handlers/worker.ts', to: 'src/adapters/store.ts' },
    ];
    const { status, violations } = cruise({
      'src/services/a.ts': "import type { B } from './b';\nexport interface A { b?: B }\n",
      'src/services/b.ts': "import type { A } from './a';\nexport interface B { a?: A }\n",
      'src/services/lonely.ts': 'export const lonely = 1;\n',
      'src/domain/certificate.ts': "import type { Port } from '../ports';\nexport type Certificate = Port;\n",
      'src/pki/ca.ts': "import type { A } from '../services/a';\nexport type Ca = A;\n",
      'src/services/issue.ts': "import { store } from '../adapters/store';\nexport const issue = store;\n",
      'src/ports.ts': "import type { A } from './services/a';\nexport type Port = A;\n",
      'src/adapters/store.ts':
        "import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport type { View } from '../slack/view';\nexport const store = {} as DynamoDBClient & View;\n",
      'src/slack/view.ts':
        "import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport type { Core } from '../composition/core';\nimport type { store } from '../adapters/store';\nexport type View = Core & DynamoDBClient & typeof store;\n",
      'src/composition/core.ts':
        "import type { Certificate } from '../domain/certificate';\nexport type Core = Certificate;\n",
      'src/handlers/worker.ts': "import { store } from '../adapters/store';\nexport const handler = () => store;\n",
    });
    expect(violations).toEqual(expect.arrayContaining(expected.map((violation) => expect.objectContaining(violation))));
    expect(
      violations.filter((violation) => violation.rule === 'slack-does-not-touch-aws').map(({ to }) => to),
    ).toContainEqual(expect.stringMatching(/node_modules\/@aws-sdk\/client-dynamodb\//));
    // Every rule is shown to bite: a new rule needs a violation here too.
    expect(new Set(expected.map(({ rule }) => rule))).toEqual(new Set(RULES));
    expect(status).not.toBe(0);
  }, 60_000);
});
