/**
 * What a deployment gets by default, read from the construct itself (not copied), so the
 * latency figures move when the construct's defaults do: the poll interval of the schedule
 * and the poller's timeout, for the default schedule or a chosen one.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { GleantapChangeNotifier } from '../../lib/infra/gleantap-change-notifier.ts';

export interface DeployedSchedule {
  /** The schedule expression the construct deploys, e.g. `rate(5 minutes)`. */
  readonly expression: string;
  readonly intervalMs: number;
  /** The poller function's timeout. */
  readonly timeoutMs: number;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours)\)$/;

/**
 * Builds the construct (without bundling) with `schedule`, or with its default schedule
 * when absent, and reads back the schedule and the function timeout it chose.
 *
 * @throws Error when the construct no longer exposes them as expected.
 */
export function deployedSchedule(schedule?: Duration): DeployedSchedule {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'BenchDefaults');
  const notifier = new GleantapChangeNotifier(stack, 'Notifier', {
    appIds: ['bench'],
    ...(schedule === undefined ? {} : { schedule }),
  });
  const fn = notifier.function;
  const timeout = fn instanceof LambdaFunction ? fn.timeout : undefined;
  if (timeout === undefined) throw new Error('deployed-defaults: the poller function has no timeout');
  // The dispatcher's schedule: each tick enqueues a poll of every due app.
  const cfnSchedule = notifier.dispatch.schedule.node
    .findAll()
    .find((c): c is CfnSchedule => c instanceof CfnSchedule);
  const expression = cfnSchedule?.scheduleExpression;
  const match = typeof expression === 'string' ? RATE.exec(expression) : null;
  if (typeof expression !== 'string' || match === null)
    throw new Error(`deployed-defaults: expected a rate() schedule, got ${String(expression)}`);
  const unit = match[2]?.startsWith('hour')
    ? Duration.hours(Number(match[1]))
    : Duration.minutes(Number(match[1]));
  return { expression, intervalMs: unit.toMilliseconds(), timeoutMs: timeout.toMilliseconds() };
}
