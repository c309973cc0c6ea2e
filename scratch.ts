import * as c from './packages/core/src/index.ts';

const s =
  '0g05b08J4M2N2NA^O1`0OCO=0E090H080IO68DH;>@C>a0_O_O`0j0OWOF<:CM72I24NL43JM92FN;1ENKO72L0LO91J0MO92INO0NO122OO0M031O000NO31OO11MO40N011MO41MO21L06OL021L06OL021L06OL021L060J040L060J040L060J040L060J040L060J040L060J040L060KO31L060KO31L06OL021L06OL021L06OL021MO41MO21MO40N100NO310O00M0310O00NO1220NO92IONO91KOMO72M0<1EO:2GN63KM34OLM73JF<;=1G_O_Ob0=AC`07EH=1IO71H090F0:1DO>1_O1b0>2N2N3L6H]O';
const counts = c.countsFromString(s);
console.log(
  'sum',
  counts.reduce((a, b) => a + b, 0),
  'needs',
  50 * 70,
  'n',
  counts.length,
);
try {
  const m = c.rleToMask({ size: [50, 70], counts: s });
  console.log('reencode equal', c.maskToRle(m).counts === s, c.area(m));
} catch (e) {
  console.log('ERR', (e as Error).message);
}
console.log(
  c.polygonToRle([0, 0, 10, 0, 10, 10, 0, 10], 20, 20),
  c.decompressRle(c.polygonToRle([0, 0, 10, 0, 10, 10, 0, 10], 20, 20)).counts.join(','),
);
let mism = 0,
  total = 0;
for (let t = 0; t < 400; t++) {
  const w = 2 + Math.floor(Math.random() * 25),
    h = 2 + Math.floor(Math.random() * 25);
  const m = c.maskFromFunction(w, h, () => Math.random() < 0.6);
  for (const ring of c.maskToPolygons(m)) {
    if (ring.type !== 'outer') continue;
    total++;
    const a = c.rleToMask(c.polygonToRle(ring.points, h, w));
    const b = c.polygonsToMask([ring.points], w, h);
    if (!c.masksEqual(a, b)) mism++;
  }
}
console.log('pycoco vs ours on rectilinear rings: mismatches', mism, 'of', total);
