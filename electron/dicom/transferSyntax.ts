/**
 * Transfer syntaxes: the table lives in shared/ so the viewer names and reads them by the same facts.
 */
export * from '../../shared/dicom/transferSyntax.ts';
