/**
 * The cdk-nag and Control Tower findings the notifier accepts, each recorded with its reason on
 * the narrowest construct it concerns. Findings tied to one resource are acknowledged where
 * that resource is created; this file holds the helper and those shared by several.
 */
import { Validations } from 'aws-cdk-lib';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { NotifierFunction } from '../notifier-function.ts';

/** Records why a cdk-nag finding is accepted, on the narrowest construct it concerns. */
export function acknowledge(scope: IConstruct, id: string, reason: readonly string[]): void {
  Validations.of(scope).acknowledge({ id, reason: reason.join(' ') });
}

/** The same three for every function of the construct (poller, dispatcher, watchdog). */
export function acknowledgeFunctionFindings(scope: IConstruct): void {
  for (const fn of scope.node.findAll().filter((c): c is NotifierFunction => c instanceof NotifierFunction)) {
    acknowledge(fn.logGroup, 'CT.CLOUDWATCH.PR.2', [
      'The functions log counts, app ids and errors, never customer data (a test holds the poller',
      'to that), so a year of retention buys nothing; logRetention is a prop for accounts that need it.',
    ]);
    acknowledge(fn.logGroup, 'CT.CLOUDWATCH.PR.3', [
      'The log group holds no customer data (see CT.CLOUDWATCH.PR.2); CloudWatch Logs encrypts',
      'it at rest with its own key, and a KMS key would add a key policy for the logs service.',
    ]);
    acknowledge(fn.function, 'CT.LAMBDA.PR.3', [
      "The functions call Gleantap's public API and AWS APIs; in a VPC they would need a NAT",
      'gateway (about $32 a month per AZ, more than the rest of the stack) and gain no isolation.',
    ]);
  }
}

/**
 * A queue that is itself a dead-letter queue (of an SNS subscription, a schedule target),
 * encrypted and TLS-only; cdk-nag and Control Tower look for a dead-letter queue of its own.
 */
export function acknowledgeDeadLetterQueue(queue: IQueue, of: string): void {
  acknowledge(queue, 'CT.SQS.PR.1', [`This queue is itself the dead-letter queue of ${of}.`]);
  acknowledge(queue, 'AwsSolutions-SQS3', [
    `This queue is itself the dead-letter queue of ${of};`,
    'cdk-nag recognises only SQS redrive policies as DLQ use.',
  ]);
}
