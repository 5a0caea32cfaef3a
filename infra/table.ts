import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ITable,
  ProjectionType,
  StreamViewType,
  Table,
  TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TTL_ATTRIBUTE, tableDefinition } from '../src/adapters/dynamodb/table';

type Definition = ReturnType<typeof tableDefinition>;
type KeyElement = NonNullable<Definition['KeySchema']>[number];

function attribute(definition: Definition, key: KeyElement | undefined) {
  if (!key?.AttributeName) return undefined;
  const declared = definition.AttributeDefinitions?.find((candidate) => candidate.AttributeName === key.AttributeName);
  const type =
    declared?.AttributeType === 'N'
      ? AttributeType.NUMBER
      : declared?.AttributeType === 'B'
        ? AttributeType.BINARY
        : AttributeType.STRING;
  return { name: key.AttributeName, type };
}

const part = (keys: KeyElement[] | undefined, type: 'HASH' | 'RANGE') => keys?.find((key) => key.KeyType === type);

/** The CDK form of `tableDefinition` (src/adapters/dynamodb/table.ts), so tests, the local stack and AWS share one shape. */
export function tablePropsFrom(definition: Definition): Pick<TableProps, 'partitionKey' | 'sortKey' | 'billingMode'> & {
  indexes: Parameters<Table['addGlobalSecondaryIndex']>[0][];
} {
  if (definition.BillingMode !== 'PAY_PER_REQUEST')
    throw new Error('The table definition must be on-demand (PAY_PER_REQUEST).');
  return {
    partitionKey: attribute(definition, part(definition.KeySchema, 'HASH'))!,
    sortKey: attribute(definition, part(definition.KeySchema, 'RANGE')),
    billingMode: BillingMode.PAY_PER_REQUEST,
    indexes: (definition.GlobalSecondaryIndexes ?? []).map((index) => ({
      indexName: index.IndexName!,
      partitionKey: attribute(definition, part(index.KeySchema, 'HASH'))!,
      sortKey: attribute(definition, part(index.KeySchema, 'RANGE')),
      projectionType:
        index.Projection?.ProjectionType === 'INCLUDE'
          ? ProjectionType.INCLUDE
          : index.Projection?.ProjectionType === 'KEYS_ONLY'
            ? ProjectionType.KEYS_ONLY
            : ProjectionType.ALL,
      nonKeyAttributes: index.Projection?.NonKeyAttributes,
    })),
  };
}

/**
 * The one table: on-demand, point-in-time recovery, TTL, deletion protection, kept when the stack is
 * deleted (it holds every revocation: a new empty table would publish a CRL that un-revokes everyone).
 * `reuse` adopts the table a deleted stack left behind.
 */
export function stateTable(scope: Construct, tableName: string, reuse: boolean): ITable {
  if (reuse) return Table.fromTableName(scope, 'State', tableName);
  const { indexes, ...keys } = tablePropsFrom(tableDefinition(tableName));
  const table = new Table(scope, 'State', {
    ...keys,
    tableName,
    timeToLiveAttribute: TTL_ATTRIBUTE,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    // New images only: the audit stream forwards inserted audit entries (infra/audit-stream.ts).
    stream: StreamViewType.NEW_IMAGE,
  });
  for (const index of indexes) table.addGlobalSecondaryIndex(index);
  return table;
}
