/**
 * The cfn-guard Control Tower rules run beside cdk-nag: the stack passes them with every
 * accepted finding acknowledged (and listed in the README with its reason), and an
 * unencrypted table, the finding of issue 13, fails them.
 */
import { readFileSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ControlTowerChecks, controlId } from '../../dev/control-tower-checks.ts';
import { NotifierStack } from '../../lib/infra/notifier-stack.ts';

function check(app: App): { id: string; resources: string[] }[] {
  const assembly = app.synth({ validateOnSynthesis: false });
  const report = new ControlTowerChecks().validate({
    templatePaths: assembly.stacks.map((stack) => stack.templateFullPath),
    stackTemplates: [],
    appConstruct: app,
  });
  return report.violations.map((violation) => ({
    id: controlId(violation),
    resources: violation.violatingResources.map((resource) => resource.resourceLogicalId ?? ''),
  }));
}

function acknowledgedControls(app: App): string[] {
  return app.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => (typeof m.data === 'object' && m.data !== null ? Object.keys(m.data) : []))
    .map((id) => id.replace(/^annotation::/i, ''))
    .filter((id) => id.startsWith('CT.'));
}

describe('Control Tower rules (cfn-guard) at synth', () => {
  let app: App;

  beforeAll(() => {
    app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new NotifierStack(app, 'GleantapNotifier', {
      notifier: { appIds: ['a', 'b'], alertEmailsByApp: { a: ['staff@example.com'] } },
    });
  });

  // cfn-guard runs as a child process over the whole template: seconds, more on a busy machine.
  it('the stack has no unacknowledged finding', () => {
    expect(check(app)).toEqual([]);
  }, 180_000);

  it('every accepted control is in the README with its reason', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const controls = [...new Set(acknowledgedControls(app))].sort();
    expect(controls.length).toBeGreaterThan(0);
    for (const id of controls) expect(readme).toMatch(new RegExp(`- \`${id.replaceAll('.', '\\.')}\` \\(`));
  });

  it('fails a table that is not encrypted with a KMS key, and a finding acknowledged elsewhere', () => {
    const bare = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(bare, 'Bare');
    new TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const other = new TableV2(stack, 'Other', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    Validations.of(other).acknowledge({ id: 'CT.DYNAMODB.PR.2', reason: 'a test of acknowledgement' });
    const findings = check(bare).filter((finding) => finding.id === 'CT.DYNAMODB.PR.2');
    expect(findings).toHaveLength(1);
    expect(findings[0]?.resources).toEqual([
      stack.getLogicalId(stack.node.findChild('Table').node.defaultChild as never),
    ]);
  });
});
