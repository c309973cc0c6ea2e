// The morphological clean-up a text mask gets, whichever model made it (CLIPSeg's heat map or SAM 3's instances).
import { close, type Mask, open, removeSmallComponents } from '@segkit/core';

export interface MaskCleanup {
  /** Morphological opening radius in pixels (default 0, so thin structures such as cracks survive). */
  openRadius?: number;
  /** Morphological closing radius in pixels (default 0). */
  closeRadius?: number;
  /** Drop connected components smaller than this many pixels (default 0). */
  minArea?: number;
}

/** Opening, then closing, then small components dropped, each only when asked for. */
export function cleanMask(mask: Mask, o: MaskCleanup): Mask {
  let out = mask;
  if (o.openRadius) out = open(out, o.openRadius);
  if (o.closeRadius) out = close(out, o.closeRadius);
  if (o.minArea) out = removeSmallComponents(out, o.minArea);
  return out;
}
