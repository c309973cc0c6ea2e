import { BoxInvalidError, InvalidArgumentError, MaskInvalidError, MaskSizeMismatchError } from './errors.js';
import type { Box, Mask } from './types.js';

/** Shortens a value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return value.length > 6 ? `array(${value.length})` : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return 'object';
}

/** The one place argument messages are phrased: `Expected <what> for <name> but received <value>`. */
export function invalid(
  what: string,
  name: string,
  value: unknown,
): InstanceType<typeof InvalidArgumentError> {
  return new InvalidArgumentError(`Expected ${what} for ${name} but received ${describe(value)}`);
}

export function assertInteger(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`an integer between ${min} and ${max}`, name, value);
  }
  return value;
}

export function assertNumber(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`a finite number between ${min} and ${max}`, name, value);
  }
  return value;
}

/** Checks a mask's shape; `strict` also checks that every byte is 0 or 1 (O(n), used at API boundaries). */
export function assertMask(mask: unknown, name = 'mask', strict = false): asserts mask is Mask {
  const m = mask as Mask;
  if (!m || typeof m !== 'object' || !(m.data instanceof Uint8Array)) {
    throw new MaskInvalidError(`Expected a mask {width, height, data: Uint8Array} for ${name}`);
  }
  if (!Number.isInteger(m.width) || !Number.isInteger(m.height) || m.width < 0 || m.height < 0) {
    throw new MaskInvalidError(`Expected non-negative integer width and height for ${name}`);
  }
  if (m.data.length !== m.width * m.height) {
    throw new MaskInvalidError(
      `${name} has ${m.data.length} bytes of data but ${m.width}×${m.height} needs ${m.width * m.height}`,
    );
  }
  if (strict) {
    const d = m.data;
    for (let i = 0; i < d.length; i++) {
      if (d[i]! > 1)
        throw new MaskInvalidError(`${name} has value ${d[i]} at index ${i}; masks hold only 0 and 1`);
    }
  }
}

export function assertSameSize(
  a: { width: number; height: number },
  b: { width: number; height: number },
  what: string,
) {
  if (a.width !== b.width || a.height !== b.height) {
    throw new MaskSizeMismatchError(`${what}: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  }
}

/** Validates a box and returns it as integer pixel bounds [x0, y0, x1, y1) rounded outwards, inside `bounds`. */
export function boxToPixelBounds(
  box: unknown,
  width: number,
  height: number,
): [number, number, number, number] {
  if (
    !Array.isArray(box) ||
    box.length !== 4 ||
    !box.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    throw new BoxInvalidError(
      `Expected a box [x, y, w, h] of 4 finite numbers but received ${describe(box)}`,
    );
  }
  const [x, y, w, h] = box as Box;
  if (w <= 0 || h <= 0) throw new BoxInvalidError(`Box ${describe(box)} is empty: w and h must be > 0`);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.ceil(x + w);
  const y1 = Math.ceil(y + h);
  if (x0 < 0 || y0 < 0 || x1 > width || y1 > height) {
    throw new BoxInvalidError(`Box ${describe(box)} lies outside the ${width}×${height} image`);
  }
  return [x0, y0, x1, y1];
}
