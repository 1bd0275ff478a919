import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, CfnFunction, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * Lets the ESM bundle load the CommonJS dependencies that still call `require` (the AWS SDK
 * pulls `node:https` this way); without it esbuild's shim fails with
 * "Dynamic require of node:https is not supported".
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The flag that makes Node map stack traces through the bundle's source map. */
const SOURCE_MAPS_FLAG = '--enable-source-maps';

/**
 * Properties for a {@link NotifierFunction}.
 */
export interface NotifierFunctionProps {
  /**
   * Path to the TypeScript file that exports the handler.
   */
  readonly entry: string;

  /**
   * Name of the exported handler function in `entry`.
   *
   * @default 'handler'
   */
  readonly handler?: string;

  /**
   * A description of the function.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * Environment variables for the function. They are merged over the construct's own
   * defaults (`NODE_OPTIONS` with `--enable-source-maps`); a caller's `NODE_OPTIONS` is kept
   * and the source-maps flag is appended to it when missing.
   *
   * @default - only the construct's defaults
   */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * The function's timeout.
   *
   * @default Duration.minutes(4)
   */
  readonly timeout?: Duration;

  /**
   * Memory in MiB. More memory also buys proportionally more CPU.
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Concurrent executions reserved for (and capping) this function.
   *
   * @default - no reservation: the function uses the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * How long the function's log group keeps its events.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * What happens to the log group when it leaves the stack.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * A Node.js Lambda function with this project's defaults: arm64, Node 22, an ESM bundle built
 * by the local esbuild (minified, with source maps enabled at run time), the AWS SDK bundled so
 * the deployed code runs the versions the tests ran, a log group of its own with a retention,
 * and an execution role that may write to that log group only (no AWS managed policy).
 */
export class NotifierFunction extends Construct {
  /** The Lambda function. */
  public readonly function: NodejsFunction;

  /** The function's log group. */
  public readonly logGroup: LogGroup;

  /** The function's execution role. */
  public readonly role: Role;

  /** The function's CloudFormation resource. */
  public readonly cfnFunction: CfnFunction;

  constructor(scope: Construct, id: string, props: NotifierFunctionProps) {
    super(scope, id);

    if (props.memorySize !== undefined && !(props.memorySize >= 128 && props.memorySize <= 10_240)) {
      throw new Error(`memorySize must be between 128 and 10240 MiB, got ${props.memorySize}`);
    }

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    // A role of our own instead of the default one, whose AWSLambdaBasicExecutionRole
    // managed policy lets the function write to any log group in the account.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.role = role;
    this.logGroup.grantWrite(role);

    const fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: props.handler ?? 'handler',
      ...(props.description === undefined ? {} : { description: props.description }),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(4),
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: mergeEnvironment(props.environment ?? {}),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        bundleAwsSDK: true,
        externalModules: [],
        forceDockerBundling: false,
        logLevel: LogLevel.ERROR,
      },
    });
    // The log group must exist (with its retention) before the function can write to it.
    fn.node.addDependency(this.logGroup);
    this.function = fn;
    const cfnFunction = fn.node.defaultChild;
    if (!(cfnFunction instanceof CfnFunction)) {
      throw new Error(`NotifierFunction ${this.node.path}: NodejsFunction has no CfnFunction child`);
    }
    this.cfnFunction = cfnFunction;
  }
}

/**
 * Puts the construct's defaults under the caller's environment, keeping the caller's
 * `NODE_OPTIONS` and adding the source-maps flag to it when it is missing.
 */
export function mergeEnvironment(environment: Readonly<Record<string, string>>): Record<string, string> {
  const nodeOptions = environment.NODE_OPTIONS;
  const withSourceMaps =
    nodeOptions === undefined || nodeOptions.trim() === ''
      ? SOURCE_MAPS_FLAG
      : nodeOptions.split(/\s+/).includes(SOURCE_MAPS_FLAG)
        ? nodeOptions
        : `${nodeOptions} ${SOURCE_MAPS_FLAG}`;
  return { ...environment, NODE_OPTIONS: withSourceMaps };
}
