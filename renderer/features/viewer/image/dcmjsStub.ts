/**
 * What the decode worker's bundle gets for `require('dcmjs')`: dcmjs-codecs loads dcmjs for its
 * dataset transcoder, which the viewer does not use (it only calls the frame codecs), so the
 * ~1 MB library stays out of the worker.
 */
/** dcmjs's data namespace (unused). */
export const data = {};
/** dcmjs's logger (unused). */
export const log = {};
