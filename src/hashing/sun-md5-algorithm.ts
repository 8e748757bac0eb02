// Sun MD5 crypt (Solaris `$md5$`), after Alec Muffett's description and passlib's
// sun_md5_crypt: md5(password + config), then 4096 + rounds rounds, each md5 of the previous
// digest, followed by a famous passage of Hamlet when a coin drawn from the digest's own
// bits says so, and the round number. The checksum is md5-crypt's base-64 ordering.

import { createHash } from 'node:crypto';
import { cryptB64From24Bit } from './encoding.ts';

/** The passage, with the C string's terminating NUL, as the original hashes it. */
const HAMLET = Buffer.from(
  `${[
    'To be, or not to be,--that is the question:--',
    "Whether 'tis nobler in the mind to suffer",
    'The slings and arrows of outrageous fortune',
    'Or to take arms against a sea of troubles,',
    'And by opposing end them?--To die,--to sleep,--',
    'No more; and by a sleep to say we end',
    'The heartache, and the thousand natural shocks',
    "That flesh is heir to,--'tis a consummation",
    "Devoutly to be wish'd. To die,--to sleep;--",
    "To sleep! perchance to dream:--ay, there's the rub;",
    'For in that sleep of death what dreams may come,',
    'When we have shuffled off this mortal coil,',
    "Must give us pause: there's the respect",
    'That makes calamity of so long life;',
    'For who would bear the whips and scorns of time,',
    "The oppressor's wrong, the proud man's contumely,",
    "The pangs of despis'd love, the law's delay,",
    'The insolence of office, and the spurns',
    'That patient merit of the unworthy takes,',
    'When he himself might his quietus make',
    'With a bare bodkin? who would these fardels bear,',
    'To grunt and sweat under a weary life,',
    'But that the dread of something after death,--',
    "The undiscover'd country, from whose bourn",
    'No traveller returns,--puzzles the will,',
    'And makes us rather bear those ills we have',
    'Than fly to others that we know not of?',
    'Thus conscience does make cowards of us all;',
    'And thus the native hue of resolution',
    "Is sicklied o'er with the pale cast of thought;",
    'And enterprises of great pith and moment,',
    'With this regard, their currents turn awry,',
    'And lose the name of action.--Soft you now!',
    'The fair Ophelia!--Nymph, in thy orisons',
    "Be all my sins remember'd.",
  ].join('\n')}\n\0`,
  'latin1',
);

/** The bit `n` (0-127) of a 16-byte digest, little-endian within each byte. */
const bit = (d: Buffer, n: number) => (d[(n >> 3) & 15]! >> (n & 7)) & 1;

function coinBits(d: Buffer, offsets: readonly [number, number][]): number {
  let out = 0;
  offsets.forEach(([ia, ib], i) => {
    const a = d[ia]!;
    const b = d[ib]!;
    const v = d[(a >> (b % 5)) & 15]! >> ((b >> (a & 7)) & 1);
    out |= bit(d, v) << i;
  });
  return out;
}

const seven = [0, 1, 2, 3, 4, 5, 6];
const X0 = seven.map((i) => [i, i + 3] as [number, number]);
const X1 = seven.map((i) => [i + 1, i + 4] as [number, number]);
const Y0 = seven.map((i) => [i + 8, (i + 11) & 15] as [number, number]);
const Y1 = seven.map((i) => [(i + 9) & 15, (i + 12) & 15] as [number, number]);

/**
 * The 22-character checksum. `config` is the stored value up to its last `$`: `$md5$salt$`
 * (or `$md5$salt` for the older "bare salt" hashes), with `,rounds=N` when present.
 */
export function sunMd5Checksum(password: Uint8Array, config: string, rounds: number): string {
  let d = createHash('md5').update(password).update(config, 'latin1').digest();
  const total = 4096 + rounds;
  for (let round = 0; round < total; round++) {
    const x = coinBits(d, bit(d, round) ? X1 : X0);
    const y = coinBits(d, bit(d, round + 64) ? Y1 : Y0);
    const coin = ((d[x >> 3]! >> (x & 7)) ^ (d[y >> 3]! >> (y & 7))) & 1;
    const h = createHash('md5').update(d);
    if (coin) h.update(HAMLET);
    h.update(String(round), 'latin1');
    d = h.digest();
  }
  return (
    cryptB64From24Bit(d[0]!, d[6]!, d[12]!, 4) +
    cryptB64From24Bit(d[1]!, d[7]!, d[13]!, 4) +
    cryptB64From24Bit(d[2]!, d[8]!, d[14]!, 4) +
    cryptB64From24Bit(d[3]!, d[9]!, d[15]!, 4) +
    cryptB64From24Bit(d[4]!, d[10]!, d[5]!, 4) +
    cryptB64From24Bit(0, 0, d[11]!, 2)
  );
}
