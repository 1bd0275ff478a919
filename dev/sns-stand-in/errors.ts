/**
 * An SNS API error as the query protocol reports it: `<ErrorResponse><Error><Code>`.
 * The SDK maps `code` to its typed exception (`NotFound` → `NotFoundException`,
 * `ParameterValueInvalid` → `InvalidParameterValueException`); unknown codes surface as
 * `SNSServiceException` with `name` set to the code.
 */
export class SnsError extends Error {
  override readonly name = 'SnsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** `NotFound` (404): the SDK's `NotFoundException`. */
export const notFound = (message: string): SnsError => new SnsError('NotFound', message, 404);

/** `InvalidParameter` (400) with SNS's `Invalid parameter: <detail>` wording. */
export const invalidParameter = (detail: string): SnsError =>
  new SnsError('InvalidParameter', `Invalid parameter: ${detail}`);

/** `ParameterValueInvalid` (400): the SDK's `InvalidParameterValueException`, used for attribute errors. */
export const parameterValueInvalid = (message: string): SnsError =>
  new SnsError('ParameterValueInvalid', message);
