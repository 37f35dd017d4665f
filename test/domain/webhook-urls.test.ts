import { describe, expect, it } from 'vitest';
import { isPublicAddress, parseWebhookUrl, resolveTarget } from '../../server/domain/webhook-urls.js';
import { ApiError } from '../../server/errors.js';

const PRODUCTION = { allowHttp: false, allowPrivate: false };
const DEVELOPMENT = { allowHttp: true, allowPrivate: false };
const PRIVATE_OK = { allowHttp: true, allowPrivate: true };

/** The 422 a refused URL gets, with its message on `url`. */
function refusal(run: () => unknown): { message: string; details: unknown } {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.code).toBe('VALIDATION_ERROR');
    return { message: e.message, details: e.details };
  }
  throw new Error('expected a refusal');
}

async function asyncRefusal(run: () => Promise<unknown>): Promise<{ message: string; details: unknown }> {
  const err = await run().then(
    () => new Error('expected a refusal'),
    (e: unknown) => e as Error,
  );
  return refusal(() => {
    throw err;
  });
}

describe('isPublicAddress', () => {
  it('accepts globally routable unicast addresses, IPv4 and IPv6', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2001:4860:4860::8888', '2606:4700:4700::1111'])
      expect(isPublicAddress(a), a).toBe(true);
  });

  it('refuses loopback, private, link-local, unique-local, carrier-grade NAT, multicast, reserved and unspecified ones', () => {
    const inside = [
      '127.0.0.1',
      '127.255.0.1',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '240.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'fc00::1',
      'ff02::1',
    ];
    for (const a of inside) expect(isPublicAddress(a), a).toBe(false);
  });

  it('judges an IPv4 address mapped into IPv6 as the IPv4 address it is', () => {
    expect(isPublicAddress('::ffff:127.0.0.1')).toBe(false);
    expect(isPublicAddress('::ffff:10.1.2.3')).toBe(false);
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
  });

  it('refuses what is not an address at all', () => {
    for (const a of ['', 'localhost', '999.1.1.1', 'example.com']) expect(isPublicAddress(a), a).toBe(false);
  });
});

describe('parseWebhookUrl', () => {
  it('takes an https URL anywhere, and http only where allowed', () => {
    expect(parseWebhookUrl('https://hooks.example.com/a?b=1', PRODUCTION).href).toBe('https://hooks.example.com/a?b=1');
    expect(parseWebhookUrl('http://hooks.example.com/', DEVELOPMENT).protocol).toBe('http:');
    expect(parseWebhookUrl('https://hooks.example.com/', DEVELOPMENT).protocol).toBe('https:');
    expect(refusal(() => parseWebhookUrl('https:///', DEVELOPMENT)).message).toBe('url must be an absolute URL');
    expect(refusal(() => parseWebhookUrl('http://hooks.example.com/', PRODUCTION))).toEqual({
      message: 'url must be https',
      details: [{ path: 'url', message: 'url must be https' }],
    });
  });

  it('refuses other schemes, relative URLs and credentials in the URL', () => {
    expect(refusal(() => parseWebhookUrl('ftp://hooks.example.com/', DEVELOPMENT)).message).toBe('url must be http or https');
    expect(refusal(() => parseWebhookUrl('/relative', DEVELOPMENT)).message).toBe('url must be an absolute URL');
    expect(refusal(() => parseWebhookUrl('https://user:pw@hooks.example.com/', PRODUCTION)).message).toBe(
      'url must not carry a user name or password',
    );
    expect(refusal(() => parseWebhookUrl('https://user@hooks.example.com/', PRODUCTION)).message).toBe(
      'url must not carry a user name or password',
    );
    expect(refusal(() => parseWebhookUrl('https://:pw@hooks.example.com/', PRODUCTION)).message).toBe(
      'url must not carry a user name or password',
    );
  });
});

describe('resolveTarget', () => {
  it('pins an address literal as it is, IPv4 and IPv6 (brackets removed)', async () => {
    expect(await resolveTarget(new URL('https://8.8.8.8/hook'), PRODUCTION)).toEqual({ address: '8.8.8.8', family: 4 });
    expect(await resolveTarget(new URL('https://[2001:4860:4860::8888]/hook'), PRODUCTION)).toEqual({
      address: '2001:4860:4860::8888',
      family: 6,
    });
  });

  it('refuses a non-public target, literal or by name, naming the address', async () => {
    const literal = await asyncRefusal(() => resolveTarget(new URL('http://127.0.0.1:9/hook'), DEVELOPMENT));
    expect(literal.message).toBe("url's host 127.0.0.1 resolves to a non-public address (127.0.0.1); webhooks go to public addresses only");
    expect(literal.details).toEqual([{ path: 'url', message: literal.message }]);
    expect((await asyncRefusal(() => resolveTarget(new URL('http://[::1]/'), DEVELOPMENT))).message).toContain('(::1)');
    expect((await asyncRefusal(() => resolveTarget(new URL('http://localhost/'), DEVELOPMENT))).message).toBe(
      "url's host localhost resolves to a non-public address (127.0.0.1); webhooks go to public addresses only",
    );
  });

  it('allows private targets when told to, resolving names', async () => {
    expect(await resolveTarget(new URL('http://127.0.0.1:9/'), PRIVATE_OK)).toEqual({ address: '127.0.0.1', family: 4 });
    expect(await resolveTarget(new URL('http://localhost/'), PRIVATE_OK)).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('refuses a host that does not resolve', async () => {
    expect((await asyncRefusal(() => resolveTarget(new URL('https://nothing.invalid/'), PRIVATE_OK))).message).toBe(
      "url's host nothing.invalid does not resolve",
    );
  });
});
