import { ValidationError } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

type ValidationErrorConstructor = new (code: string, message: string, scope: IConstruct) => Error;

/**
 * aws-cdk-lib's own `ValidationError`: the error type its constructs throw for invalid props,
 * which carries the construct path (`constructPath`) and which the CDK CLI shows without a
 * stack trace. Its declaration types the error code as a `LiteralString`, a brand that only
 * aws-cdk-lib's internal `lit` tag can make; the runtime takes any string, so the constructor
 * is retyped here once instead of at every throw.
 */
const CdkValidationError = ValidationError as unknown as ValidationErrorConstructor;

/**
 * An error for invalid props of `scope`, listing every problem; its message starts with the
 * construct path, and `constructPath` carries it for tools.
 */
export function propsError(scope: IConstruct, code: string, problems: readonly string[]): Error {
  const list = problems.length === 1 ? ` ${problems[0]}` : `\n${problems.map((p) => `  - ${p}`).join('\n')}`;
  return new CdkValidationError(code, `Invalid props of ${scope.node.path}:${list}`, scope);
}
