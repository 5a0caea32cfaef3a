import { App } from 'aws-cdk-lib';
import { SETTING_NAMES, SettingsError, readSettings } from '../settings';
import { checkWithCdkNag } from '../nag';
import { VpnChatopsStack } from '../stack';

/** `npm run synth` / `npm run deploy` (cdk.json "app"): settings from CDK context, checked first. */
export function buildApp(app: App): VpnChatopsStack {
  const context = Object.fromEntries(
    SETTING_NAMES.map((name) => [name, app.node.tryGetContext(name)]).filter(([, value]) => value !== undefined),
  );
  // The CLI sets CDK_DEFAULT_ACCOUNT from the credentials it deploys with; offline there is none.
  const settings = readSettings({ account: process.env.CDK_DEFAULT_ACCOUNT, ...context });
  checkWithCdkNag(app);
  // The Region is explicit, so the deployment lands next to the endpoint whatever the CLI's default is.
  return new VpnChatopsStack(app, settings.stackName, {
    settings,
    env: { region: settings.region, account: settings.account },
    description: 'vpn-chatops: Slack-first ChatOps for AWS Client VPN certificates and login approval',
  });
}

if (require.main === module) {
  try {
    buildApp(new App());
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
