import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { VpnChatopsError, isUserError } from './domain/errors';

/**
 * Powertools' fields, with the level in lower case: metric filters and Logs Insights queries written
 * against `level = "error"` (docs/deploy.md) keep counting what they counted.
 */
class LambdaLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const invocation = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel.toLowerCase(),
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: invocation?.coldStart,
        function_name: invocation?.functionName,
        function_request_id: invocation?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additional);
  }
}

/** Lambda sets AWS_LAMBDA_FUNCTION_NAME; local runs, the CLI and tests print the plain lines below. */
const lambda = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? new Logger({ serviceName: 'vpn-chatops', logFormatter: new LambdaLogFormatter() })
  : undefined;

type Keys = Record<string, string | undefined>;

function write(level: 'error' | 'warn', message: string, fields: Record<string, unknown> = {}): void {
  if (lambda) lambda[level](message, fields);
  else console[level](JSON.stringify({ level, message, ...fields }));
}

/**
 * One structured line per failure (CloudWatch on Lambda, the terminal locally). A person's mistake (a
 * refused duplicate, a bad CSR) is a `warn` line with its code; only faults are `error` lines, so what
 * alarms and on-call count as errors are ours to fix. Never pass key material.
 */
export function logError(message: string, error?: unknown): void {
  const code = error instanceof VpnChatopsError ? { code: error.code } : {};
  const detail = error instanceof Error ? error.message : error;
  write(isUserError(error) ? 'warn' : 'error', message, { ...code, error: detail });
}

/** Something refused or skipped that needs no one's attention now; kept apart from errors, which raise alarms. */
export function logWarning(message: string): void {
  write('warn', message);
}

/**
 * On Lambda, at the start of each invocation: its request id, whether it is a cold start, and the keys
 * that tie it to one Slack request or login. The keys of the previous invocation are dropped.
 */
export function startInvocationLog(context: unknown, keys: Keys = {}): void {
  if (!lambda) return;
  lambda.resetKeys();
  lambda.addContext(context as Parameters<Logger['addContext']>[0]);
  appendLogKeys(keys);
}

/** Tags this invocation's later lines, e.g. with the approval it opened or decided. */
export function appendLogKeys(keys: Keys | (() => Keys)): void {
  if (!lambda) return;
  // A function is only called on Lambda: off it there is nowhere to write the keys, so no work to do.
  const given = typeof keys === 'function' ? keys() : keys;
  lambda.appendKeys(Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)));
}

/**
 * How an invocation ended, so one login can be followed from the connect function to the Slack one in
 * CloudWatch Logs Insights. Lambda only: locally the terminal shows what needs attention.
 */
export function logInvocation(message: string, fields: Record<string, unknown> = {}): void {
  lambda?.info(message, fields);
}
