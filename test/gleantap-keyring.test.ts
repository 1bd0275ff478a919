/**
 * Keys per app: one secret may hold a default pair and a pair per app, so one studio's keys
 * never serve another's polls. Secrets Manager has no local stand-in, so its answer is mocked
 * (aws-sdk-client-mock), the rare case STYLE.md allows.
 */

import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { keysForApp, resolveGleantapKeyring } from '../lib/adapters.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gleantap-AbCdEf';
const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());

async function keyringOf(value: unknown) {
  secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: JSON.stringify(value) });
  return resolveGleantapKeyring({ kind: 'secret', secretArn: ARN }, { provider: providerFor() });
}

function providerFor() {
  return new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: 'eu-west-1' }) });
}

describe('Gleantap keys per app', () => {
  it('gives an app its own keys and every other app the default ones', async () => {
    const keyring = await keyringOf({
      apiKey: 'default-api',
      secretKey: 'default-secret',
      apps: { 'studio-a': { apiKey: 'a-api', secretKey: 'a-secret' } },
    });
    expect(keysForApp(keyring, 'studio-a')).toEqual({ apiKey: 'a-api', secretKey: 'a-secret' });
    expect(keysForApp(keyring, 'studio-b')).toEqual({ apiKey: 'default-api', secretKey: 'default-secret' });
  });

  it('without a default, an app that has no keys of its own is refused, naming it and the secret', async () => {
    const keyring = await keyringOf({ apps: { 'studio-a': { apiKey: 'a-api', secretKey: 'a-secret' } } });
    expect(() => keysForApp(keyring, 'studio-b')).toThrow(
      new RegExp(`Secret ${ARN} has no Gleantap keys for app studio-b and no default`),
    );
  });

  it.each([
    [{}, 'no keys at all'],
    [{ apiKey: 'only-half' }, 'half a default pair'],
    [{ apps: { a: { apiKey: 'x' } } }, 'half an app pair'],
    [{ apiKey: '', secretKey: 's' }, 'an empty value'],
  ] as [unknown, string][])('refuses %j (%s) without echoing its content', async (value) => {
    const error = await keyringOf(value).catch((caught: unknown) => caught);
    expect(String(error)).toMatch(new RegExp(`Secret ${ARN} must hold`));
    expect(String(error)).not.toContain('only-half');
  });

  it('reads the secret once per maxAge through Powertools Parameters, not once per poll', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({
      SecretString: JSON.stringify({ apiKey: 'k', secretKey: 's' }),
    });
    const provider = providerFor();
    const source = { kind: 'secret', secretArn: ARN } as const;
    for (let poll = 0; poll < 3; poll++)
      await resolveGleantapKeyring(source, { provider, maxAgeSeconds: 300 });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    await resolveGleantapKeyring(source, { provider, maxAgeSeconds: 0 });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('a secret that cannot be read is named, with what to check', async () => {
    secrets.on(GetSecretValueCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );
    const error = await resolveGleantapKeyring(
      { kind: 'secret', secretArn: ARN },
      { provider: providerFor() },
    ).catch((caught: unknown) => caught);
    expect(String(error)).toContain(
      `Secrets Manager: secret ${ARN} could not be read (ResourceNotFoundException`,
    );
    expect(String(error)).toContain('secretsmanager:GetSecretValue');
  });

  it('the environment keys serve every app', async () => {
    const keyring = await resolveGleantapKeyring({ kind: 'keys', apiKey: 'k', secretKey: 's' });
    expect(keysForApp(keyring, 'any')).toEqual({ apiKey: 'k', secretKey: 's' });
  });
});
