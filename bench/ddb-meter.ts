import type { Database } from '../src/adapters/dynamodb/client';

/** Cost on AWS of what a benchmark asked of DynamoDB: requests by operation and the capacity DynamoDB says it consumed. */
export interface DdbMeter {
  requests: number;
  byOperation: Record<string, number>;
  readUnits: number;
  writeUnits: number;
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
  const meter: DdbMeter = {
    requests: 0,
    byOperation: {},
    readUnits: 0,
    writeUnits: 0,
    reset() {
      meter.requests = 0;
      meter.byOperation = {};
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
