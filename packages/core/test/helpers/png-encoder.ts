// A minimal PNG encoder written from the PNG specification, used only by tests to produce
// every bit depth and colour type (sharp never writes 1/2/4-bit greyscale or 16-bit grey+alpha).
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export type ColourType = 'grey' | 'grey-alpha' | 'rgb' | 'rgba' | 'palette';
const TYPE_CODE: Record<ColourType, number> = { grey: 0, rgb: 2, palette: 3, 'grey-alpha': 4, rgba: 6 };
const CHANNELS: Record<ColourType, number> = { grey: 1, rgb: 3, palette: 1, 'grey-alpha': 2, rgba: 4 };

/**
 * Encodes samples (one number per channel per pixel, already in the target bit depth's range) as a PNG.
 * For 'palette', samples are palette indices and `palette` holds RGB triples.
 */
export function encodePng(opts: {
  width: number;
  height: number;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  colour: ColourType;
  samples: ArrayLike<number>;
  palette?: [number, number, number][];
}): Buffer {
  const { width, height, bitDepth, colour, samples } = opts;
  const ch = CHANNELS[colour];
  const bitsPerPixel = ch * bitDepth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1; // filter byte 0 (None)
    let bit = 0;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < ch; c++) {
        const v = samples[(y * width + x) * ch + c]!;
        if (bitDepth === 16) {
          raw.writeUInt16BE(v, row + bit / 8);
        } else if (bitDepth === 8) {
          raw[row + bit / 8] = v;
        } else {
          const byte = row + Math.floor(bit / 8);
          raw[byte] = raw[byte]! | (v << (8 - bitDepth - (bit % 8)));
        }
        bit += bitDepth;
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = TYPE_CODE[colour];
  const parts = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr)];
  if (colour === 'palette') parts.push(chunk('PLTE', Uint8Array.from((opts.palette ?? []).flat())));
  parts.push(chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array()));
  return Buffer.concat(parts);
}
