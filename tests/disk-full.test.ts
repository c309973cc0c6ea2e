// Disk full and read-only: coded errors, reads go on, the database stays sound, writes come back with space.
// On a real 8 MiB tmpfs when the tests run as root (CI does), and simulated otherwise; both are checked here.
import { describe, expect, it } from 'vitest';
import { scene } from '../packages/models/test/helpers/shapes.js';
import { type DiskFullReport, runDiskFull } from '../scripts/harness/diskfull-core.js';

function check(r: DiskFullReport) {
  const by = Object.fromEntries(r.steps.map((s) => [s.step, s]));
  expect(by['annotate with space']?.status).toBe(201);
  expect(by['annotate on a full disk']).toMatchObject({ status: 507, code: 'E_NO_SPACE' });
  expect(by['upload on a full disk']).toMatchObject({ status: 507, code: 'E_NO_SPACE' });
  expect(by['read on a full disk']?.status).toBe(200);
  expect(by['annotate after space returns']?.status).toBe(201);
  expect(by['upload after space returns']?.status).toBe(201);
  expect(r.integrityAfter).toEqual(['ok']);
  expect(by['annotate on a read-only disk']).toMatchObject({ status: 503, code: 'E_READ_ONLY' });
  expect(by['upload on a read-only disk']).toMatchObject({ status: 503, code: 'E_READ_ONLY' });
  expect(by['read on a read-only disk']?.status).toBe(200);
  expect(by['annotate once writable again']?.status).toBe(201);
  expect(r.annotationsKept).toBeGreaterThanOrEqual(3);
}

describe('disk full and read-only', () => {
  it('simulated: SQLite out of pages and ENOSPC from the blob store', async () => {
    const r = await runDiskFull(scene().image, { real: false });
    expect(r.how).toBe('simulated');
    check(r);
  });

  it('on a real 8 MiB tmpfs filled to its last byte, when one can be mounted', async (ctx) => {
    const r = await runDiskFull(scene().image);
    if (r.how !== 'tmpfs') ctx.skip(); // not root, or no mount permission: the simulated case above still ran
    check(r);
  });
});
