import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Database } from '../src/adapters/dynamodb/client';

/** Cost on AWS of what a benchmark asked of DynamoDB: requests by operation and the capacity DynamoDB says it consumed. */
export interface DdbMeter {
  requests: number;
  byOperation: Record<string, number>;
  readUnits: number;
  writeUnits: number;
  /** Requests sent from within `during(phase, …)`, by phase. */
  byPhase: Record<string, number>;
  /** Runs `work`, counting the requests it sends (and anything it starts) under `phase` too. */
  during<T>(phase: string, work: () => Promise<T>): Promise<T>;
  reset(): void;
  /** `ddb_requests=… rcu=… wcu=…` values for `report`, optionally per `per` operations (e.g. per login). */
  figures(per?: number): Record<string, string | number>;
}

/** On-demand list price, us-east-1, from https://aws.amazon.com/dynamodb/pricing/on-demand/ (checked 2026-12). */
export const ON_DEMAND_USD_PER_MILLION = { read: 0.125, write: 0.625 };

const CAPACITY_OPERATIONS = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/**
 * Count every request `db` sends (retries included) and ask DynamoDB for ReturnConsumedCapacity=TOTAL on each.
 * DynamoDB Local reports capacity as AWS would bill it on demand: reads 0.5 (eventually consistent) or 1 per 4 KB,
 * writes 1 per 1 KB. Only for benchmarks: it changes the requests the stores send.
 */
export function meterDatabase(db: Database): DdbMeter {
  const phases = new AsyncLocalStorage<string>();
  const meter: DdbMeter = {
    requests: 0,
    byOperation: {},
    readUnits: 0,
    writeUnits: 0,
    byPhase: {},
    during: (phase, work) => phases.run(phase, work),
    reset() {
      meter.requests = 0;
      meter.byOperation = {};
      meter.byPhase = {};
      meter.readUnits = 0;
      meter.writeUnits = 0;
    },
    figures(per = 1) {
      const each = (value: number) => (value / per).toFixed(per === 1 ? 1 : 2);
      const suffix = per === 1 ? '' : '_per';
      return {
        [`ddb_requests${suffix}`]: each(meter.requests),
        [`rcu${suffix}`]: each(meter.readUnits),
        [`wcu${suffix}`]: each(meter.writeUnits),
      };
    },
  };
  const stack = db.doc.middlewareStack as unknown as {
    add(middleware: unknown, options: { step: string; name: string; priority?: string }): void;
  };
  stack.add(
    (
      next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>,
      context: { commandName?: string },
    ) =>
      async (args: { input: Record<string, unknown> }) => {
        const operation = context.commandName ?? 'Unknown';
        if (CAPACITY_OPERATIONS.has(operation)) args.input.ReturnConsumedCapacity ??= 'TOTAL';
        const count = (meta: { attempts?: number } | undefined) => {
          const attempts = meta?.attempts ?? 1;
          meter.requests += attempts;
          meter.byOperation[operation] = (meter.byOperation[operation] ?? 0) + attempts;
          const phase = phases.getStore();
          if (phase !== undefined) meter.byPhase[phase] = (meter.byPhase[phase] ?? 0) + attempts;
        };
        let result: { output: Record<string, unknown> };
        try {
          result = await next(args);
        } catch (error) {
          // A failed condition (a claim already taken) is still a request, billed on AWS though no capacity comes back.
          count((error as { $metadata?: { attempts?: number } }).$metadata);
          throw error;
        }
        count(result.output.$metadata as { attempts?: number } | undefined);
        const consumed = result.output.ConsumedCapacity as Capacity | Capacity[] | undefined;
        for (const capacity of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
          if (capacity.ReadCapacityUnits !== undefined || capacity.WriteCapacityUnits !== undefined) {
            meter.readUnits += capacity.ReadCapacityUnits ?? 0;
            meter.writeUnits += capacity.WriteCapacityUnits ?? 0;
          } else if (/Get|Query|Scan/.test(operation)) meter.readUnits += capacity.CapacityUnits ?? 0;
          else meter.writeUnits += capacity.CapacityUnits ?? 0;
        }
        return result;
      },
    { step: 'initialize', name: 'benchDdbMeter', priority: 'high' },
  );
  return meter;
}

/**
 * DynamoDB Local's pace on this machine: `reads` strongly consistent GetItems of `keys` (round robin), all at once.
 * DynamoDB Local serializes every request on one SQLite file, so no storm on it ends before its requests ÷ this.
 */
export async function ddbLocalCapacity(
  db: Database,
  keys: Record<string, unknown>[],
  reads = keys.length,
): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: reads }, (_, i) =>
      db.doc.send(new GetCommand({ TableName: db.tableName, Key: keys[i % keys.length], ConsistentRead: true })),
    ),
  );
  return reads / ((performance.now() - started) / 1000);
}

/** How long DynamoDB Local alone needs for `requests` at `perSecond`: a storm of them cannot end sooner here. */
export const ddbLocalFloorMs = (requests: number, perSecond: number) => (requests / perSecond) * 1000;
