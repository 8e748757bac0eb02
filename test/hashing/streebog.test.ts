// Streebog (GOST R 34.11-2012) against the RFCs' own examples: RFC 6986 §10.1 (message M1,
// both sizes, in the byte order implementations hash and print) and RFC 7836 §4.1.1 (HMAC).
import { describe, expect, it } from 'vitest';
import { hmacStreebog256, streebog } from '../../src/hashing/streebog.ts';

const M1 = Buffer.from('012345678901234567890123456789012345678901234567890123456789012');

describe('Streebog', () => {
  it('gives RFC 6986 example 1 in 256 bits', () => {
    expect(streebog(M1, 32).toString('hex')).toBe(
      '9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500',
    );
  });

  it('gives RFC 6986 example 1 in 512 bits', () => {
    expect(streebog(M1, 64).toString('hex')).toBe(
      '1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48',
    );
  });

  it('gives the RFC 7836 HMAC_GOSTR3411_2012_256 example', () => {
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const message = Buffer.from('0126bdb87800af214341456563780100', 'hex');
    expect(hmacStreebog256(key, message).toString('hex')).toBe(
      'a1aa5f7de402d7b3d323f2991c8d4534013137010a83754fd0af6d7cd4922ed9',
    );
  });

  it('hashes a message longer than one block differently from its first block', () => {
    const long = Buffer.alloc(200, 0x61);
    expect(streebog(long, 32).equals(streebog(long.subarray(0, 64), 32))).toBe(false);
  });
});
