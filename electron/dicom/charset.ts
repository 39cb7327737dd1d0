/**
 * Decoding text values by Specific Character Set (0008,0005), PS3.5 §6.1 and Annex C/D/E of
 * PS3.3 C.12.1.1.2: single-byte sets, UTF-8, GB18030/GBK, and ISO 2022 code extensions with
 * escape sequences (Japanese, Korean, Chinese, Greek, Cyrillic …).
 */

/** TextDecoder label for each defined term (with or without code extensions). */
const SINGLE: Record<string, string> = {
  '': 'latin1',
  ISO_IR_6: 'latin1',
  ISO_IR_100: 'latin1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_203: 'iso-8859-15',
  ISO_IR_166: 'windows-874',
  ISO_IR_13: 'shift_jis',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** Escape sequences of ISO 2022 and how to decode what follows them (PS3.3 C.12.1.1.2, tables C.12-3/4/5). */
const ESCAPES: Record<string, string> = {
  '\x1b(B': 'latin1', // ISO-IR 6, G0
  '\x1b(J': 'latin1', // JIS X 0201 Romaji, G0
  '\x1b)I': 'shift_jis', // JIS X 0201 Katakana, G1
  '\x1b$B': 'iso-2022-jp', // JIS X 0208, G0
  '\x1b$(D': 'jisx0212', // JIS X 0212, G0
  '\x1b$)C': 'euc-kr', // KS X 1001, G1
  '\x1b$)A': 'gb18030', // GB 2312, G1
  '\x1b-A': 'latin1',
  '\x1b-B': 'iso-8859-2',
  '\x1b-C': 'iso-8859-3',
  '\x1b-D': 'iso-8859-4',
  '\x1b-L': 'iso-8859-5',
  '\x1b-G': 'iso-8859-6',
  '\x1b-F': 'iso-8859-7',
  '\x1b-H': 'iso-8859-8',
  '\x1b-M': 'iso-8859-9',
  '\x1b-T': 'windows-874',
  '\x1b-b': 'iso-8859-15',
};

/** Initial decoding for the first value of a multi-valued ISO 2022 Specific Character Set. */
const ISO2022_INITIAL: Record<string, string> = {
  '': 'latin1',
  ISO_2022_IR_6: 'latin1',
  ISO_2022_IR_13: 'shift_jis',
  ISO_2022_IR_87: 'latin1',
  ISO_2022_IR_100: 'latin1',
  ISO_2022_IR_101: 'iso-8859-2',
  ISO_2022_IR_109: 'iso-8859-3',
  ISO_2022_IR_110: 'iso-8859-4',
  ISO_2022_IR_144: 'iso-8859-5',
  ISO_2022_IR_127: 'iso-8859-6',
  ISO_2022_IR_126: 'iso-8859-7',
  ISO_2022_IR_138: 'iso-8859-8',
  ISO_2022_IR_148: 'iso-8859-9',
  ISO_2022_IR_166: 'windows-874',
  ISO_2022_IR_149: 'euc-kr',
  ISO_2022_IR_58: 'gb18030',
};

/** The Specific Character Set defined terms decoded as such (others are read as ISO-IR 6/100), for the Conformance Statement. */
export function characterSetTerms(): { single: string[]; iso2022: string[] } {
  return { single: Object.keys(SINGLE).filter(Boolean), iso2022: Object.keys(ISO2022_INITIAL).filter(Boolean) };
}

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    decoders.set(label, d);
  }
  return d;
}

const normalize = (term: string) => term.trim().replace(/ /g, '_');

/** A decoder for text values of a dataset with the given Specific Character Set values. */
export type TextDecoderFn = (bytes: Uint8Array) => string;

/** Builds the text decoder for a dataset's Specific Character Set (backslash-separated). */
export function charsetDecoder(specificCharacterSet: string | undefined): TextDecoderFn {
  const terms = (specificCharacterSet ?? '').split('\\').map(normalize);
  const usesExtensions = terms.length > 1 || terms[0].startsWith('ISO_2022');
  if (!usesExtensions) {
    const label = SINGLE[terms[0]] ?? 'latin1';
    const d = decoder(label);
    return (bytes) => d.decode(bytes);
  }
  const initial = ISO2022_INITIAL[terms[0]] ?? SINGLE[terms[0]] ?? 'latin1';
  return (bytes) => decodeIso2022(bytes, initial);
}

/** JIS X 0212 (two 7-bit bytes) re-encoded as EUC-JP (0x8F prefix, high bits set) for TextDecoder. */
function decodeJisX0212(bytes: Uint8Array): string {
  const out: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) out.push(0x8f, bytes[i] | 0x80, bytes[i + 1] | 0x80);
  return decoder('euc-jp').decode(new Uint8Array(out));
}

/** Decodes bytes with ISO 2022 escape sequences (PS3.5 §6.1.2.5). Writers must switch back to the
 * initial set before delimiters (PS3.5 §6.1.2.5.3), so only escape sequences change the set here:
 * a '^' or '=' byte inside a two-byte run is half of a character, not a delimiter. */
function decodeIso2022(bytes: Uint8Array, initial: string): string {
  let out = '';
  let current = initial;
  let start = 0;
  const flush = (end: number) => {
    if (end <= start) return;
    const chunk = bytes.subarray(start, end);
    if (current === 'jisx0212') out += decodeJisX0212(chunk);
    else if (current === 'iso-2022-jp') out += decoder(current).decode(concat(ESC_JIS_0208, chunk));
    else out += decoder(current).decode(chunk);
  };
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x1b) continue;
    flush(i);
    // An escape sequence is ESC, intermediate bytes 0x20–0x2F, one final byte 0x30–0x7E.
    let j = i + 1;
    while (j < bytes.length && bytes[j] >= 0x20 && bytes[j] <= 0x2f) j++;
    current = ESCAPES[String.fromCharCode(...bytes.subarray(i, Math.min(j + 1, bytes.length)))] ?? current;
    i = j;
    start = j + 1;
  }
  flush(bytes.length);
  return out;
}

const ESC_JIS_0208 = new Uint8Array([0x1b, 0x24, 0x42]);
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a, 0);
  c.set(b, a.length);
  return c;
}
