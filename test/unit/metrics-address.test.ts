// Unit tests: `--metrics-address` parsing — IPv4, bracketed IPv6, localhost, off, and a clear error for each bad shape.
import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_ADDRESS, formatListenAddress, MetricsError, parseMetricsAddress } from '../../src/metrics/address.js';

function failure(text: string): MetricsError {
  try {
    parseMetricsAddress(text);
  } catch (err) {
    if (err instanceof MetricsError) return err;
    throw err;
  }
  throw new Error(`${text} was accepted`);
}

describe('metrics address', () => {
  it('the default is loopback port 9469', () => {
    expect(parseMetricsAddress(DEFAULT_METRICS_ADDRESS)).toEqual({ host: '127.0.0.1', port: 9469 });
  });

  it('accepts IPv4, bracketed IPv6 and localhost, and renders them back as given', () => {
    expect(parseMetricsAddress('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseMetricsAddress('[::1]:9469')).toEqual({ host: '::1', port: 9469 });
    expect(parseMetricsAddress('[2001:db8::5]:1')).toEqual({ host: '2001:db8::5', port: 1 });
    expect(parseMetricsAddress('localhost:65535')).toEqual({ host: 'localhost', port: 65535 });
    expect(formatListenAddress({ host: '::1', port: 9469 })).toBe('[::1]:9469');
    expect(formatListenAddress({ host: '127.0.0.1', port: 9469 })).toBe('127.0.0.1:9469');
  });

  it('off disables metrics', () => {
    expect(parseMetricsAddress('off')).toBeUndefined();
    expect(parseMetricsAddress('OFF')).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', /no port/],
    ['127.0.0.1:', /no port/],
    [':9469', /no host/],
    ['::1:9469', /IPv6 address must be in brackets/],
    ['[::1]9469', /IPv6 address must be in brackets|not an IPv4/],
    ['[10.0.0.1]:80', /10\.0\.0\.1 is not an IPv6 address/],
    ['example.com:80', /example\.com is not an IPv4 address/],
    ['300.1.1.1:80', /is not an IPv4 address/],
    ['127.0.0.1:http', /port http is not a number/],
    ['127.0.0.1:0', /port 0 is out of range 1-65535/],
    ['127.0.0.1:70000', /port 70000 is out of range/],
  ])('rejects %s with what is wrong and what to give', (text, why) => {
    const e = failure(text);
    expect(e.code).toBe('METRICS_BAD_ADDRESS');
    expect(e.message).toMatch(why);
    expect(e.message).toContain('give HOST:PORT');
    expect(e.message).toContain('or off');
  });
});
