import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
// cdk-nag names a wildcard finding by the resource as it flattens it; this is its own flattening, so the ids match.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/** cdk-nag's AwsSolutions pack checks every synthesized template: `cdk synth` and `cdk deploy` fail on a finding. */
export function checkWithCdkNag(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(checks);
  return checks;
}

/**
 * Accepts one wildcard resource in an IAM policy (AwsSolutions-IAM5) on `scope` and what it contains,
 * and nothing else: the finding id names the exact resource, so a new wildcard is still reported.
 */
export function allowWildcard(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}
