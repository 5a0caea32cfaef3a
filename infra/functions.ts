import { join, resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLE_OPTIONS, LAMBDA_ENTRIES, LambdaName } from './lambda-bundling';

export const REPO_ROOT = resolve(__dirname, '..');

/**
 * NodejsFunction's bundling, from the same options the bundle benchmark and tests build with, so the
 * deployed bundle is the measured one: local esbuild (never Docker), minified, nothing left external
 * (not even the AWS SDK the runtime ships: ours is the version we test), Bolt's unused receivers aliased
 * to a stub.
 */
export function bundlingOptions(): BundlingOptions {
  const options = LAMBDA_BUNDLE_OPTIONS;
  return {
    minify: options.minify,
    target: options.target,
    format: options.format === 'cjs' ? OutputFormat.CJS : OutputFormat.ESM,
    mainFields: [...options.mainFields],
    externalModules: [],
    sourceMap: false,
    forceDockerBundling: false,
    // Only what is wrong: the size lines and a known warning (a require.resolve used in local mode only) are noise here.
    logLevel: LogLevel.ERROR,
    esbuildArgs: Object.fromEntries(Object.entries(options.alias).map(([module, stub]) => [`--alias:${module}`, stub])),
  };
}

export interface BotFunctionProps {
  /** The physical function name (the connect handler's must start with AWSClientVPN-). */
  functionName: string;
  timeout: Duration;
  memorySize: number;
  environment: Record<string, string>;
  description: string;
  /** Concurrency kept for this function alone (and its ceiling); none when absent. */
  reservedConcurrency?: number;
}

/**
 * One of the bot's functions: Node.js 24 (the newest Lambda runtime; every handler is async, as it requires) on arm64, its own log group, and its own role that starts
 * with nothing but writing to that log group (no AWSLambdaBasicExecutionRole and its `*` resource).
 */
export function botFunction(scope: Construct, name: LambdaName, props: BotFunctionProps): NodejsFunction {
  const id = name[0].toUpperCase() + name.slice(1);
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    logGroupName: `/aws/lambda/${props.functionName}`,
    retention: RetentionDays.THREE_MONTHS,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `${props.functionName}: vpn-chatops ${name} function`,
  });
  role.addToPolicy(
    new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
  );
  return new NodejsFunction(scope, id, {
    entry: join(REPO_ROOT, LAMBDA_ENTRIES[name]),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    bundling: bundlingOptions(),
    role,
    logGroup,
    functionName: props.functionName,
    description: props.description,
    timeout: props.timeout,
    memorySize: props.memorySize,
    environment: props.environment,
    reservedConcurrentExecutions: props.reservedConcurrency,
  });
}
