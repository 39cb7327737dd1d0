/**
 * What a send works through: items (an input with what is known of its file), and groups of items
 * whose presentation contexts fit in one association (PS3.8: at most 128), taken from the source a
 * page at a time so a queue of any length is never all in memory.
 *
 * Contexts (PS3.8 §9.3.2.2, PS3.7 Annex D.2): each proposed context carries one transfer syntax, so
 * whether the peer takes the file's own syntax never depends on the peer's order of preference;
 * Explicit and Implicit VR Little Endian are proposed beside it for transcoding.
 */
import type { Stats } from 'node:fs';
import { EXPLICIT_LE, IMPLICIT_LE } from '../dicom/transferSyntax.ts';
import type { SendableFile } from './preflight.ts';
import type { SendInput, SendSource } from './sender.ts';

/** An input on its way: planned for a SOP class and syntax, checked once read, sent (perhaps again). */
export interface Item {
  input: SendInput;
  /** SOP class and transfer syntax the contexts were planned for. */
  planned: { sopClassUid: string; transferSyntaxUid: string };
  /** Set once the file was checked (preflight, or trusted from the index). */
  file: SendableFile | null;
  attempts: number;
  /** What identified the bytes read for the latest send (fileStamp.ts). */
  stamp?: string;
  /** The path's stat before bytes still to be read as the store goes out (streamed, transcoded): the stamp is taken after. */
  statBefore?: { st: Stats | null; at: number };
}

/** Items whose contexts fit in one association, sent over one or more associations. */
export interface Group {
  contexts: { abstractSyntax: string; transferSyntaxes: string[] }[];
  /** Items taken and not yet sent (and those to send again). */
  queue: Item[];
  /** The rest of the group's items, a page at a time (`take`); absent once all were taken. */
  more?: () => Item[];
  /** Items in the group in all, for how many associations it is worth. */
  size: number;
  /** Workers holding an open association. */
  active: number;
}

/** Inputs taken from a `SendSource` at a time: a small first page starts the first association sooner. */
const PAGE = 64;

/** Largest contexts per association (PS3.8: odd ids 1–255). */
const MAX_CONTEXTS = 128;

/** The contexts for one SOP class and the file syntaxes seen for it. */
function contextsFor(sopClass: string, syntaxes: Set<string>): { abstractSyntax: string; transferSyntaxes: string[] }[] {
  const list = [...syntaxes];
  for (const ts of [EXPLICIT_LE, IMPLICIT_LE]) if (!syntaxes.has(ts)) list.push(ts);
  return list.map((ts) => ({ abstractSyntax: sopClass, transferSyntaxes: [ts] }));
}

/**
 * Splits the SOP classes (each with the syntaxes its items are in) into groups whose contexts fit
 * in one association, each group with the items of its classes.
 */
function split(kinds: Map<string, Set<string>>, items: Item[]): Group[] {
  const itemsOf = new Map<string, Item[]>();
  for (const it of items) {
    const mine = itemsOf.get(it.planned.sopClassUid);
    if (mine) mine.push(it);
    else itemsOf.set(it.planned.sopClassUid, [it]);
  }
  const groups: Group[] = [];
  let current: Group = { contexts: [], queue: [], size: 0, active: 0 };
  for (const [sopClass, syntaxes] of kinds) {
    const ctxs = contextsFor(sopClass, syntaxes);
    if (current.contexts.length + ctxs.length > MAX_CONTEXTS && current.contexts.length) {
      groups.push(current);
      current = { contexts: [], queue: [], size: 0, active: 0 };
    }
    const mine = itemsOf.get(sopClass) ?? [];
    current.contexts.push(...ctxs.slice(0, MAX_CONTEXTS));
    current.queue.push(...mine);
    current.size += mine.length;
  }
  if (current.queue.length) groups.push(current);
  return groups;
}

/**
 * The groups of a send: one association's worth of contexts (the usual case) takes the source's
 * known inputs a page at a time behind `checked`; more SOP classes than that are split into groups,
 * each sent in turn, with every input in memory.
 */
export function groupsOf(source: SendSource, checked: Item[]): Group[] {
  const kinds = new Map<string, Set<string>>();
  const addKind = (sopClass: string, syntax: string) => {
    let syntaxes = kinds.get(sopClass);
    if (!syntaxes) kinds.set(sopClass, (syntaxes = new Set()));
    syntaxes.add(syntax);
  };
  for (const k of source.kinds) addKind(k.sopClassUid, k.transferSyntaxUid);
  for (const it of checked) addKind(it.planned.sopClassUid, it.planned.transferSyntaxUid);
  const contexts = [...kinds].flatMap(([sopClass, syntaxes]) => contextsFor(sopClass, syntaxes));
  if (contexts.length <= MAX_CONTEXTS) {
    return [{ contexts, queue: checked, more: () => source.next(PAGE).map(knownItem), size: inputCount(source), active: 0 }];
  }
  const items = checked;
  for (let page = source.next(PAGE * 16); page.length; page = source.next(PAGE * 16)) items.push(...page.map(knownItem));
  return split(kinds, items);
}

/** True while the group has items left to send, taking the next page of its source once its queue is empty. */
export function hasItems(group: Group): boolean {
  if (!group.queue.length && group.more) {
    const page = group.more();
    if (page.length) group.queue.push(...page);
    else group.more = undefined;
  }
  return group.queue.length > 0;
}

/** The next item of a group (taking the next page of its source when needed). */
export const take = (group: Group): Item | undefined => (hasItems(group) ? group.queue.shift() : undefined);

/** How many inputs a source holds in all. */
export const inputCount = (source: SendSource): number => source.unknown.length + source.kinds.reduce((n, k) => n + k.count, 0);

/** An array of inputs as a source. */
export function sourceOf(inputs: SendInput[]): SendSource {
  const unknown: SendInput[] = [];
  const known: SendInput[] = [];
  const kinds = new Map<string, SendSource['kinds'][number]>();
  for (const i of inputs) {
    if (!i.sopClassUid || !i.transferSyntaxUid) {
      unknown.push(i);
      continue;
    }
    known.push(i);
    const key = `${i.sopClassUid}\\${i.transferSyntaxUid}`;
    const k = kinds.get(key);
    if (k) k.count++;
    else kinds.set(key, { sopClassUid: i.sopClassUid, transferSyntaxUid: i.transferSyntaxUid, count: 1 });
  }
  let at = 0;
  return { unknown, kinds: [...kinds.values()], next: (n) => known.slice(at, (at += n)) };
}

/** An input whose SOP class and transfer syntax are known, as an item planned for them. */
const knownItem = (input: SendInput): Item => ({ input, planned: { sopClassUid: input.sopClassUid!, transferSyntaxUid: input.transferSyntaxUid! }, file: null, attempts: 0 });
