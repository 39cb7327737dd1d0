/**
 * Viewer channels: the element tree of an instance for the tag browser. Pixels do not travel
 * here: the renderer fetches an instance's bytes by URL (CourierApi.instanceUrl) and decodes them
 * in web workers.
 */
import { int, object } from '../validate.ts';
import { channel } from './channel.ts';
import type { PatientRow, SeriesRow, StudyRow } from './library.ts';

/** One data element, as the tag browser shows it. Sequences carry their items. */
export interface TagNode {
  /** "(gggg,eeee)". */
  tag: string;
  /** Dictionary keyword, "Private …" for private elements, or '' when unknown. */
  name: string;
  vr: string;
  /** Value length in bytes (0xFFFFFFFF shown as -1 for undefined length). */
  length: number;
  /** The value for a person: text decoded by the character set, numbers, or a summary of binary data. */
  value: string;
  private: boolean;
  /** For SQ: the items, each a list of elements. */
  items?: TagNode[][];
}

/** What `viewer.tags` returns. */
export interface TagTree {
  instanceId: number;
  transferSyntaxUID: string;
  /** File meta information (group 0002), when the file has it. */
  meta: TagNode[];
  elements: TagNode[];
}

/** A series with its study and patient (for the overlay, and to open a series by id). */
export interface SeriesContext {
  patient: PatientRow;
  study: StudyRow;
  series: SeriesRow;
}

/** Viewer channels. */
export const viewerChannels = {
  'viewer.series': channel<SeriesContext>()(object({ seriesId: int(1) })),
  'viewer.tags': channel<TagTree>()(object({ instanceId: int(1) })),
};
