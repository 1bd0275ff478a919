#!/usr/bin/env node
/**
 * CDK app entry: reads the `gleantap:*` context keys (see lib/infra/notifier-context.ts and
 * the Deploy section of README.md) and synthesises one NotifierStack, with cdk-nag's
 * AwsSolutions checks and the cfn-guard Control Tower rules, so every synth fails on an
 * unacknowledged finding.
 */
import { App, Errors, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ControlTowerChecks } from '../dev/control-tower-checks.ts';
import { ContextError, stackPropsFromContext } from '../lib/infra/notifier-context.ts';
import { NotifierStack } from '../lib/infra/notifier-stack.ts';

const app = new App();
let config: ReturnType<typeof stackPropsFromContext>;
try {
  config = stackPropsFromContext((key) => app.node.tryGetContext(key), Object.keys(app.node.getAllContext()));
} catch (error) {
  if (!(error instanceof ContextError)) throw error;
  // A plain message instead of a stack trace: the fix is a context value, not code.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
try {
  new NotifierStack(app, config.stackName, {
    ...config.props,
    description: 'Gleantap change notifier: polls Gleantap and publishes customer change events to SNS',
    // Environment-agnostic unless the CLI knows the account: synth must work without credentials.
    ...(process.env.CDK_DEFAULT_ACCOUNT === undefined || process.env.CDK_DEFAULT_REGION === undefined
      ? {}
      : { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }),
  });
} catch (error) {
  if (!Errors.isValidationError(error)) throw error;
  // Values that pass the context checks but not a rule between props (schedule and timeout):
  // the message names the props and the construct, a stack trace would add nothing.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ControlTowerChecks());
app.synth();
