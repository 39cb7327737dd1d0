/**
 * What kind of object a SOP Class UID names, for people (PS3.4 Annex B.5 lists the storage classes).
 */
const KINDS: [RegExp, string][] = [
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.88\./, 'SR'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.481\.2$/, 'RT Dose'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.481\.3$/, 'RT Struct'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.481\.5$/, 'RT Plan'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.481\./, 'RT'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.9\./, 'Waveform'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.104\.1$/, 'PDF'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.11\./, 'Presentation state'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.66/, 'Registration/Segmentation'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.2(\.1)?$/, 'CT'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.4(\.1)?$/, 'MR'],
  [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.7/, 'Secondary capture'],
  [/^1\.2\.840\.10008\.1\.3\.10$/, 'DICOMDIR'],
];

/** A short name for the object kind, "Object" when unknown. */
export function objectKind(sopClassUid: string): string {
  return KINDS.find(([re]) => re.test(sopClassUid))?.[1] ?? 'Object';
}
