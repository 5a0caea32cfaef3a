import type { Database } from '../adapters/dynamodb/client';
import { BudgetSeen, DynamoDbSlackBudget } from '../adapters/dynamodb/slack-budget';
import type { Config } from '../config';
import type { SlackBudget } from '../ports';
import { SLACK_PACED_PER_MINUTE } from '../slack/pacing';

/**
 * One budget per app and workspace, shared by the connect function, the Slack function and the worker.
 * The bot id names the app in its workspace; a deployment without one still shares a single budget.
 */
export function slackBudgetFor(config: Pick<Config, 'SLACK_BOT_ID'>, db: Database, seen?: BudgetSeen): SlackBudget {
  return new DynamoDbSlackBudget(db, config.SLACK_BOT_ID ?? 'bot', SLACK_PACED_PER_MINUTE, undefined, undefined, seen);
}
