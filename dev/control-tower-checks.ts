/**
 * The Control Tower proactive controls that `@cdklabs/cdk-validator-cfnguard` bundles (with
 * its cfn-guard binary, so they run offline), plus our rule for global tables, as a synth-time
 * validation beside cdk-nag. A finding is accepted only where a construct (or an ancestor)
 * acknowledges its control id with a reason, the same way cdk-nag findings are:
 * `Validations.of(scope).acknowledge({ id: 'CT.LAMBDA.PR.3', reason })`. Everything else
 * fails the synth.
 */
import { fileURLToPath } from 'node:url';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import {
  CfnResource,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type PolicyViolation,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Our own guard rules (CT.DYNAMODB.PR.2 for AWS::DynamoDB::GlobalTable). */
export const GUARD_RULES_DIR = fileURLToPath(new URL('./guard-rules', import.meta.url));

/** The Control Tower control id a violation reports (`[CT.LAMBDA.PR.3]: ...`), if any. */
export function controlId(violation: Pick<PolicyViolation, 'description' | 'ruleName'>): string {
  return /\[(CT\.[A-Z0-9]+\.PR\.\d+)\]/.exec(violation.description)?.[1] ?? violation.ruleName;
}

/** The reasons acknowledged on `scope` and its ancestors, by rule id. */
function acknowledgements(scope: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const node of scope.node.scopes) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      if (typeof entry.data !== 'object' || entry.data === null) continue;
      for (const [id, reason] of Object.entries(entry.data)) {
        if (typeof reason === 'string') found.set(id.replace(/^annotation::/i, ''), reason);
      }
    }
  }
  return found;
}

/** Runs the Control Tower rules over the synthesized templates of the app. */
export class ControlTowerChecks implements IPolicyValidationPlugin {
  public readonly name = 'cfn-guard-control-tower';
  public readonly version?: string;
  public readonly ruleIds?: string[];
  readonly #validator: CfnGuardValidator;

  constructor() {
    this.#validator = new CfnGuardValidator({ rules: [GUARD_RULES_DIR] });
    if (this.#validator.version !== undefined) this.version = this.#validator.version;
    if (this.#validator.ruleIds !== undefined) this.ruleIds = this.#validator.ruleIds;
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = this.#validator.validate(context);
    const byLogicalId = new Map<string, IConstruct>();
    for (const construct of context.appConstruct.node.findAll()) {
      if (CfnResource.isCfnResource(construct)) {
        const id = Stack.of(construct).resolve(construct.logicalId);
        if (typeof id === 'string') byLogicalId.set(id, construct);
      }
    }
    const violations: PolicyViolation[] = [];
    for (const violation of report.violations) {
      const id = controlId(violation);
      const open = violation.violatingResources.filter((resource) => {
        // cfn-guard also reports a resource-less location for some key-policy checks; the
        // resource itself is reported beside it.
        if (!resource.resourceLogicalId) {
          return !violation.violatingResources.some((other) => other.resourceLogicalId);
        }
        const construct = byLogicalId.get(resource.resourceLogicalId);
        return construct === undefined || !acknowledgements(construct).has(id);
      });
      if (open.length > 0) violations.push({ ...violation, violatingResources: open });
    }
    return { success: violations.length === 0, violations };
  }
}
