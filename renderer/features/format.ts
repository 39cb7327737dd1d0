/**
 * Formatting DICOM values for people.
 */

/** "20040119" → "2004-01-19"; anything else unchanged. */
export function formatDate(da: string | undefined): string {
  // YYYYMMDD (PS3.5 §6.2 DA), or the YYYY.MM.DD of ACR-NEMA files that older objects still carry.
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec((da ?? '').trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : (da ?? '').trim();
}

/** "Doe^John^^Dr" → "Doe, John Dr" (the alphabetic group of a PN; PS3.5 §6.2.1). */
export function formatName(pn: string | undefined): string {
  const alphabetic = (pn ?? '').split('=')[0];
  const [family, given, middle, prefix, suffix] = alphabetic.split('^').map((s) => s.trim());
  const rest = [given, middle, prefix, suffix].filter(Boolean).join(' ');
  return family && rest ? `${family}, ${rest}` : family || rest;
}

/** "153011.123" → "15:30:11". */
export function formatTime(tm: string | undefined): string {
  const m = /^(\d{2})(\d{2})?(\d{2})?/.exec((tm ?? '').trim());
  if (!m) return '';
  return [m[1], m[2], m[3]].filter(Boolean).join(':');
}
