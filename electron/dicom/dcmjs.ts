/**
 * dcmjs, loaded on first use (it is large: loading it at start-up cost every command about
 * 150 ms). dcmjs ships no type declarations; the parts Courier uses are typed here.
 */
import { createRequire } from 'node:module';

/** One entry of dcmjs's data dictionary (PS3.6). */
export interface DcmjsDictEntry {
  tag: string;
  vr: string;
  vm?: string;
  name: string;
}

/** The parts of dcmjs Courier uses. */
export interface Dcmjs {
  data: {
    DicomMetaDictionary: {
      dictionary: Record<string, DcmjsDictEntry | undefined>;
      nameMap: Record<string, DcmjsDictEntry | undefined>;
      sopClassNamesByUID: Record<string, string | undefined>;
    };
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: object): unknown };
  };
}

let loaded: Dcmjs | null = null;

/** The dcmjs module (loaded once, when first asked for). */
export function dcmjs(): Dcmjs {
  return (loaded ??= createRequire(import.meta.url)('dcmjs') as Dcmjs);
}
