// Draws media/icon.png (128x128, the Marketplace icon): a chip with a breakpoint dot
// on a dark rounded square. Plain Node (zlib + a CRC), no image library.
// Run: npx tsx scripts/gen-icon.ts
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SAMPLES = 4; // per axis: 16 samples a pixel for smooth edges

type Rgba = readonly [number, number, number, number];
type Shape = { inside(x: number, y: number): boolean; color: Rgba };

function roundRect(x0: number, y0: number, x1: number, y1: number, r: number, color: Rgba): Shape {
  return {
    color,
    inside(x, y) {
      if (x < x0 || x > x1 || y < y0 || y > y1) return false;
      const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
      const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
      return dx * dx + dy * dy <= r * r;
    },
  };
}

function circle(cx: number, cy: number, r: number, color: Rgba): Shape {
  return { color, inside: (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r };
}

const background: Rgba = [30, 41, 59, 255];
const pin: Rgba = [148, 163, 184, 255];
const body: Rgba = [203, 213, 225, 255];
const die: Rgba = [51, 65, 85, 255];
const breakpointRed: Rgba = [229, 20, 0, 255];

const shapes: Shape[] = [roundRect(4, 4, 124, 124, 22, background)];
// Four pins on each side of the chip.
for (const at of [42, 54, 66, 78]) {
  shapes.push(roundRect(at, 22, at + 8, 36, 2, pin)); // top
  shapes.push(roundRect(at, 92, at + 8, 106, 2, pin)); // bottom
  shapes.push(roundRect(22, at, 36, at + 8, 2, pin)); // left
  shapes.push(roundRect(92, at, 106, at + 8, 2, pin)); // right
}
shapes.push(roundRect(32, 32, 96, 96, 8, body));
shapes.push(roundRect(42, 42, 86, 86, 5, die));
shapes.push(circle(64, 64, 13, breakpointRed));

function pixel(px: number, py: number): Rgba {
  let r = 0;
  let g = 0;
  let b = 0;
  let a = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      const x = px + (sx + 0.5) / SAMPLES;
      const y = py + (sy + 0.5) / SAMPLES;
      // The topmost shape covering the sample wins (all shapes are opaque).
      for (let i = shapes.length - 1; i >= 0; i--) {
        const shape = shapes[i]!;
        if (shape.inside(x, y)) {
          r += shape.color[0];
          g += shape.color[1];
          b += shape.color[2];
          a += 255;
          break;
        }
      }
    }
  }
  const n = SAMPLES * SAMPLES;
  // Straight (not premultiplied) alpha: average color over the covered samples only.
  const covered = a / 255;
  return covered === 0 ? [0, 0, 0, 0] : [Math.round(r / covered), Math.round(g / covered), Math.round(b / covered), Math.round(a / n)];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

const raw = Buffer.alloc(SIZE * (1 + SIZE * 4));
for (let y = 0; y < SIZE; y++) {
  const row = y * (1 + SIZE * 4);
  raw[row] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    const [r, g, b, a] = pixel(x, y);
    raw.set([r, g, b, a], row + 1 + x * 4);
  }
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = path.join(__dirname, '..', 'media', 'icon.png');
writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
