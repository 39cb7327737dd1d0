/**
 * Network helpers for the commit tests: C-STORE files with our association layer (so a test
 * of commitment does not depend on the send queue).
 */
import { Association } from '../../../electron/dimse/association.ts';
import { readHeader } from '../../../electron/dicom/header.ts';
import type { StudyFile } from './study.ts';
import { spawnCli } from '../../helpers.ts';

/** Stores `files` at AE@127.0.0.1:port on one association; throws unless every status is success. */
export async function storeFiles(files: StudyFile[], port: number, calledAe = 'PACS', callingAe = 'COURIER'): Promise<void> {
  const headers = files.map((f) => readHeader(f.path));
  const syntaxes = [...new Set(headers.map((h) => h.transferSyntaxUID))];
  const classes = [...new Set(files.map((f) => f.sopClassUid))];
  const assoc = await Association.connect({
    host: '127.0.0.1', port, callingAe, calledAe,
    contexts: classes.map((c) => ({ abstractSyntax: c, transferSyntaxes: syntaxes })),
  });
  try {
    for (let i = 0; i < files.length; i++) {
      const ctx = assoc.contextFor(files[i].sopClassUid, headers[i].transferSyntaxUID);
      if (!ctx) throw new Error('context not accepted');
      const rsp = await assoc.store({ path: files[i].path, offset: headers[i].datasetOffset }, ctx.id, {
        sopClassUid: files[i].sopClassUid, sopInstanceUid: files[i].sopInstanceUid,
      });
      if (rsp.status.category !== 'success') throw new Error(`store failed ${rsp.status.hex}`);
    }
  } finally {
    await assoc.release();
  }
}

/** Runs `courier <args>` without blocking the event loop; resolves with its exit and output. */
export async function runCliAsync(args: string[], home: string, timeoutMs = 120_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, home);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  return { status, stdout, stderr };
}
