import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { NotifierStack } from '../../lib/infra/notifier-stack.ts';

/**
 * From one studio to five thousand: the template must not grow with the number of apps
 * (CloudFormation allows 500 resources and a 1 MB template), and nothing reserves concurrency
 * unless asked. Bundling and the built-in schema validation are skipped (cdk-synth.test.ts does
 * both through the CLI); cdk-nag runs on each.
 */
const MAX_RESOURCES = 500;
const MAX_TEMPLATE_BYTES = 1_048_576;

function synth(appCount: number, extra: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new NotifierStack(app, 'GleantapNotifier', {
    notifier: {
      appIds: Array.from({ length: appCount }, (_, i) => `studio-${String(i).padStart(5, '0')}`),
      ...extra,
    },
  });
  const template = Template.fromStack(stack);
  const json = template.toJSON() as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const nag = new AwsSolutionsChecks(app).validateScope(app);
  return { app, stack, template, json, bytes: Buffer.byteLength(JSON.stringify(json)), nag };
}

function countsByType(resources: Record<string, { Type: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values(resources)) counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  return counts;
}

describe('the template at 1, 150 and 5,000 apps', () => {
  let synths: Record<number, ReturnType<typeof synth>>;

  beforeAll(() => {
    synths = { 1: synth(1), 150: synth(150), 5000: synth(5000) };
  }, 120_000);

  it('has the same resources, by type, whatever the number of apps, under the limit of 500', () => {
    const one = countsByType(synths[1]?.json.Resources ?? {});
    expect(countsByType(synths[150]?.json.Resources ?? {})).toEqual(one);
    expect(countsByType(synths[5000]?.json.Resources ?? {})).toEqual(one);
    const total = Object.values(one).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(MAX_RESOURCES);
    // One dispatcher and one watchdog schedule, a constant set of alarms.
    expect(one['AWS::Scheduler::Schedule']).toBe(2);
    expect(one['AWS::CloudWatch::Alarm']).toBeLessThanOrEqual(10);
  });

  it('stays under CloudFormation’s 1 MB template limit at 5,000 apps', () => {
    expect(synths[5000]?.bytes).toBeLessThan(MAX_TEMPLATE_BYTES);
  });

  it('reserves no concurrency, and bounds the poller by the event source mapping instead', () => {
    for (const { json } of Object.values(synths)) {
      for (const resource of Object.values(json.Resources)) {
        expect(resource.Properties?.ReservedConcurrentExecutions).toBeUndefined();
      }
    }
    synths[5000]?.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 50 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    synths[5000]?.template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
  });

  it('carries every seeded app id once, in the registry seed, and nowhere else', () => {
    const seeds = Object.values(synths[150]?.json.Resources ?? {}).filter(
      (r) => r.Type === 'Custom::GleantapAppRegistrySeed',
    );
    expect(seeds).toHaveLength(1);
    const ids = String(seeds[0]?.Properties?.AppIds).split(',');
    expect(ids).toHaveLength(150);
    const text = JSON.stringify(synths[150]?.json);
    expect(text.split('studio-00149').length - 1).toBe(1);
  });

  it('passes cdk-nag at 5,000 apps', () => {
    const findings = synths[5000]?.nag.violations.map(
      (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('reserves concurrency only when asked', () => {
    const { json } = synth(2, { reservedConcurrency: 20 });
    const reserved = Object.values(json.Resources)
      .map((r) => r.Properties?.ReservedConcurrentExecutions)
      .filter((v) => v !== undefined);
    expect(reserved).toEqual([20]);
  });
});

describe('an empty fleet', () => {
  it('synthesizes without app ids (apps are registered with the CLI), with the same resources', () => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const template = Template.fromStack(new NotifierStack(app, 'Empty', { notifier: {} }));
    template.hasResourceProperties('Custom::GleantapAppRegistrySeed', { AppIds: '' });
    const json = template.toJSON() as { Resources: Record<string, { Type: string }> };
    expect(countsByType(json.Resources)).toEqual(countsByType(synth(3).json.Resources));
  });
});
