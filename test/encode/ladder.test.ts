import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LADDER, parseLadder } from '../../src/encode/ladder.js';
import { planRenditions } from '../../src/encode/planRenditions.js';
import type { SourceInfo } from '../../src/encode/probeInput.js';
import { ErrorCode, SmoothpubError } from '../../src/errors.js';

const source = (width: number, height: number, sampleAspect = 1): SourceInfo => ({ videoStream: 0, duration: 10, width, height, sampleAspect, fps: 24, audio: undefined });

test('parseLadder: WxH@k, height-only, Mbit/s; ordered as given', () => {
  assert.deepEqual(parseLadder('1280x720@3000k, 640x360@800k'), [
    { width: 1280, height: 720, kbps: 3000 },
    { width: 640, height: 360, kbps: 800 },
  ]);
  assert.deepEqual(parseLadder('720p@3m,360@800'), [
    { height: 720, kbps: 3000 },
    { height: 360, kbps: 800 },
  ]);
});

test('parseLadder: odd sizes, junk and duplicates are cli.bad-option naming the part', () => {
  for (const [spec, why] of [
    ['1281x720@3000k', /'1281x720@3000k': width and height must be even/],
    ['1280x720', /expected WIDTHxHEIGHT@KBITSk .* found '1280x720'/],
    ['1280x720@3000k,,640x360@800k', /found ''/],
    ['640x360@800k,640x360@800k', /given twice/],
    ['640x360@0k', /at least 1k/],
  ] as const) {
    assert.throws(
      () => parseLadder(spec),
      (e: unknown) => e instanceof SmoothpubError && e.code === ErrorCode.BAD_OPTION && why.test(e.message),
      spec,
    );
  }
});

test('default ladder: 1080p source gets all six levels, 16:9 widths, highest bitrate first', () => {
  const r = planRenditions(DEFAULT_LADDER, source(1920, 1080), true);
  assert.deepEqual(
    r.map((x) => `${x.width}x${x.height}@${x.kbps}`),
    ['1920x1080@5800', '1280x720@3500', '960x540@2000', '768x432@1100', '640x360@730', '416x234@300'],
  );
  assert.equal(r[0]!.file, 'video_1920x1080_5800k.mp4');
});

test('default ladder never upscales: a 576p source stops at 540p; a tiny source keeps one level at its own size', () => {
  assert.deepEqual(
    planRenditions(DEFAULT_LADDER, source(1024, 576), true).map((x) => x.height),
    [540, 432, 360, 234],
  );
  assert.deepEqual(planRenditions(DEFAULT_LADDER, source(320, 180), true), [{ width: 320, height: 180, kbps: 300, file: 'video_320x180_300k.mp4' }]);
});

test('widths follow the display aspect ratio: 4:3, and anamorphic 720x576 with 16:11 pixels', () => {
  assert.deepEqual(
    planRenditions([{ height: 480, kbps: 1000 }], source(640, 480), true).map((x) => [x.width, x.height]),
    [[640, 480]],
  );
  // 720x576 at SAR 16:11 displays as 1047x576 (~16:9).
  assert.deepEqual(
    planRenditions([{ height: 360, kbps: 800 }], source(720, 576, 16 / 11), true).map((x) => [x.width, x.height]),
    [[654, 360]],
  );
});

test('an explicit WxH level is a box the picture fits into; explicit ladders may exceed the source', () => {
  // 4:3 into a 16:9 box: full height, narrower.
  assert.deepEqual(planRenditions([{ width: 1280, height: 720, kbps: 3000 }], source(640, 480), false).map((x) => [x.width, x.height]), [[960, 720]]);
  // 2.39:1 into a 16:9 box: full width, shorter.
  assert.deepEqual(planRenditions([{ width: 1280, height: 720, kbps: 3000 }], source(1920, 804), false).map((x) => [x.width, x.height]), [[1280, 536]]);
});
