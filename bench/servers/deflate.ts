// permessage-deflate for the bench servers, from `DEFLATE` (unset: off; 'on'; 'no-context-takeover'):
// Duet's `compression` and raw ws's `perMessageDeflate` with the same settings, so each pair
// compares compression in Duet with compression in ws.

const mode = process.env.DEFLATE;
const noContextTakeover = mode === 'no-context-takeover';

/** The service option; undefined when off. */
export const duetCompression = mode === undefined ? undefined : { threshold: 1024, level: 6, memLevel: 8, serverNoContextTakeover: noContextTakeover };

/** ws's server option with the same settings; false when off. */
export const wsPerMessageDeflate =
  mode === undefined
    ? false
    : { threshold: 1024, zlibDeflateOptions: { level: 6, memLevel: 8 }, serverNoContextTakeover: noContextTakeover };
