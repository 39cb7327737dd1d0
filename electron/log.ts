/**
 * One logger per area (library, dicomdir, dimse, commit, store, ipc, main). Warnings and errors go
 * to stderr; with a log file configured (the app and `courier serve` do), every line at info and
 * above is appended there too, with a timestamp.
 */
import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inspect } from 'node:util';
import { PRIVATE_FILE_MODE, privateDir, privateFile } from './privateFiles.ts';

/** Log areas. */
export type LogArea = 'library' | 'dicomdir' | 'dimse' | 'send' | 'commit' | 'store' | 'ipc' | 'host' | 'main' | 'pacs';
type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let logFile: string | null = null;
let consoleLevel: Level = (process.env.COURIER_LOG_LEVEL as Level) in RANK ? (process.env.COURIER_LOG_LEVEL as Level) : 'warn';

/** Appends log lines to `path` from now on (null stops); false when its folder cannot be made. */
export function setLogFile(path: string | null): boolean {
  try {
    if (path) {
      // Log lines name patients and paths: the folder and the file are this user's only.
      privateDir(dirname(path));
      privateFile(path);
    }
    logFile = path;
    return true;
  } catch (err) {
    process.stderr.write(`[main] warn: cannot write the log file ${path}: ${(err as Error).message}\n`);
    logFile = null;
    return false;
  }
}

/** The lowest level printed on stderr. */
export function setConsoleLevel(level: Level): void {
  consoleLevel = level;
}

/** A logger for one area. */
export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

function write(area: LogArea, level: Level, message: string, details: unknown[]): void {
  const text = details.length ? `${message} ${details.map((d) => (d instanceof Error ? (d.stack ?? d.message) : inspect(d, { depth: 4 }))).join(' ')}` : message;
  if (RANK[level] >= RANK[consoleLevel]) process.stderr.write(`[${area}] ${level === 'info' ? '' : level + ': '}${text}\n`);
  if (logFile && RANK[level] >= RANK.info) {
    try {
      appendFileSync(logFile, `${new Date().toISOString()} ${level.toUpperCase()} [${area}] ${text}\n`, { mode: PRIVATE_FILE_MODE });
    } catch {
      // A full or read-only disk must not take the app down with it.
    }
  }
}

/** The logger of `area`. */
export function logger(area: LogArea): Logger {
  return {
    debug: (m, ...d) => write(area, 'debug', m, d),
    info: (m, ...d) => write(area, 'info', m, d),
    warn: (m, ...d) => write(area, 'warn', m, d),
    error: (m, ...d) => write(area, 'error', m, d),
  };
}
