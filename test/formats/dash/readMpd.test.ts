import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMpd } from '../../../src/formats/dash/readMpd.js';
import { fillSegmentTemplate } from '../../../src/formats/dash/segmentTemplate.js';
import { resolveUrl } from '../../../src/formats/dash/resolveUrl.js';
import { formatXsDuration, parseXsDuration } from '../../../src/formats/dash/xsDuration.js';

const mpd = (body: string, attrs = 'type="static" mediaPresentationDuration="PT10S"'): string =>
  `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" ${attrs}>${body}</MPD>`;

const badMpd = (pattern: RegExp) => ({ code: 'dash.bad-mpd', message: pattern });

test('SegmentTemplate identifiers: $$, widths, $RepresentationID$ and $Bandwidth$; unknown or misplaced ones refused', () => {
  const values = { RepresentationID: 'v1', Bandwidth: 500000, Number: 7, Time: 123n };
  assert.equal(fillSegmentTemplate('$RepresentationID$/$Number%05d$-$Time$-$Bandwidth$.m4s', values), 'v1/00007-123-500000.m4s');
  assert.equal(fillSegmentTemplate('a$$b$Time%03d$', { ...values, Time: 4n }), 'a$b004');
  assert.equal(fillSegmentTemplate('$Time%02d$', { ...values, Time: 12345n }), '12345'); // a width never cuts
  assert.match((fillSegmentTemplate('x$Time$', { RepresentationID: 'v', Bandwidth: 1 }) as { problem: string }).problem, /uses \$Time\$, which has no value/);
  assert.match((fillSegmentTemplate('x$Foo$', values) as { problem: string }).problem, /unknown identifier \$Foo\$/);
  assert.match((fillSegmentTemplate('x$Number', values) as { problem: string }).problem, /unpaired '\$' at 1/);
  assert.match((fillSegmentTemplate('$RepresentationID%02d$', values) as { problem: string }).problem, /takes no format tag/);
});

test('resolveUrl: absolute bases as RFC 3986, relative bases stay relative, no base leaves the reference', () => {
  assert.equal(resolveUrl(undefined, 'QualityLevels(1)/Fragments(video=0)'), 'QualityLevels(1)/Fragments(video=0)');
  assert.equal(resolveUrl('http://h:1/a.ism/manifest.mpd', 'QualityLevels(1)/Fragments(video=0)'), 'http://h:1/a.ism/QualityLevels(1)/Fragments(video=0)');
  assert.equal(resolveUrl('http://h/a/b/', '../c'), 'http://h/a/c');
  assert.equal(resolveUrl('v400/', 'init.mp4'), 'v400/init.mp4');
  assert.equal(resolveUrl('/root/x/', 'y'), '/root/x/y');
  assert.equal(resolveUrl('v400/', 'https://cdn/seg'), 'https://cdn/seg');
  assert.equal(resolveUrl('v400/', '//cdn/seg'), 'http://cdn/seg');
});

test('xs:duration: written in seconds rounded up at 100 ns, read in any form', () => {
  assert.equal(formatXsDuration(80_000_000n, 10_000_000), 'PT8S');
  assert.equal(formatXsDuration(80_213_333n, 10_000_000), 'PT8.0213333S');
  assert.equal(formatXsDuration(1n, 48_000), 'PT0.0000209S');
  assert.equal(formatXsDuration(0n, 1), 'PT0S');
  assert.equal(parseXsDuration('PT8S'), 8);
  assert.equal(parseXsDuration('PT1H2M3.5S'), 3723.5);
  assert.equal(parseXsDuration('P1DT1S'), 86401);
  assert.equal(parseXsDuration('P0Y0M0DT0H3M30.000S'), 210);
  for (const bad of ['', 'P', 'PT', '8S', 'P1M', 'PT1.2.3S', 'PTS']) assert.equal(parseXsDuration(bad), undefined, bad);
});

test('templates inherit attribute by attribute from Period and AdaptationSet; $Number$ from startNumber; BaseURL chains', () => {
  const xml = mpd(`<BaseURL>http://cdn/root/</BaseURL><Period><SegmentTemplate timescale="1000"/>
    <AdaptationSet mimeType="video/mp4" codecs="avc1.42c01e" lang="de"><BaseURL>video/</BaseURL>
      <SegmentTemplate media="$RepresentationID$/$Number%03d$.m4s" initialization="$RepresentationID$/init.mp4" startNumber="5">
        <SegmentTimeline><S t="100" d="2000" r="2"/><S d="1000"/></SegmentTimeline>
      </SegmentTemplate>
      <Representation id="low" bandwidth="100000" width="320" height="180"/>
      <Representation id="high" bandwidth="900000" codecs="avc1.64001f"><SegmentTemplate startNumber="1"/></Representation>
    </AdaptationSet></Period>`);
  const [set] = readMpd(xml).periods[0]!.adaptationSets;
  assert.equal(set!.contentType, 'video'); // from mimeType
  assert.equal(set!.lang, 'de');
  const [low, high] = set!.representations;
  assert.deepEqual(
    low!.segments.map((s) => [s.url, s.time, s.duration, s.number]),
    [
      ['http://cdn/root/video/low/005.m4s', 100n, 2000n, 5],
      ['http://cdn/root/video/low/006.m4s', 2100n, 2000n, 6],
      ['http://cdn/root/video/low/007.m4s', 4100n, 2000n, 7],
      ['http://cdn/root/video/low/008.m4s', 6100n, 1000n, 8],
    ],
  );
  assert.equal(low!.initUrl, 'http://cdn/root/video/low/init.mp4');
  assert.deepEqual([low!.codecs, low!.width, low!.timescale], ['avc1.42c01e', 320, 1000]);
  assert.deepEqual([high!.codecs, high!.segments[0]!.url, high!.segments[0]!.number], ['avc1.64001f', 'http://cdn/root/video/high/001.m4s', 1]);
});

test('S@r="-1" repeats up to the next S@t or the Period end; a template with duration lists segments to the Period end', () => {
  const xml = mpd(`<Period duration="PT9S">
    <AdaptationSet contentType="audio"><SegmentTemplate timescale="10" media="a/$Time$" presentationTimeOffset="5">
      <SegmentTimeline><S t="5" d="20" r="-1"/><S t="65" d="20" r="-1"/></SegmentTimeline></SegmentTemplate>
      <Representation id="a" bandwidth="64000"/></AdaptationSet>
    <AdaptationSet contentType="video"><SegmentTemplate timescale="1" duration="4" media="v/$Number$" startNumber="0"/>
      <Representation id="v" bandwidth="1"/></AdaptationSet></Period>`);
  const [audio, video] = readMpd(xml).periods[0]!.adaptationSets;
  // 5..65 in threes of 20; then 65 to the Period's end, 5 + 90 = 95: 65, 85 (the last runs past it).
  assert.deepEqual(audio!.representations[0]!.segments.map((s) => [s.url, s.time]), [['a/5', 5n], ['a/25', 25n], ['a/45', 45n], ['a/65', 65n], ['a/85', 85n]]);
  assert.equal(audio!.representations[0]!.presentationTimeOffset, 5n);
  assert.deepEqual(video!.representations[0]!.segments.map((s) => [s.url, s.time, s.duration]), [['v/0', 0n, 4n], ['v/1', 4n, 4n], ['v/2', 8n, 1n]]);
});

test('Period starts and durations: from start, the next Period, or the presentation duration', () => {
  const rep = '<AdaptationSet><SegmentTemplate media="x$Number$" duration="1"/><Representation id="r" bandwidth="1"/></AdaptationSet>';
  const read = readMpd(mpd(`<Period id="a" duration="PT4S">${rep}</Period><Period id="b">${rep}</Period>`));
  assert.deepEqual(read.periods.map((p) => [p.id, p.start, p.duration, p.adaptationSets[0]!.representations[0]!.segments.length]), [['a', 0, 4, 4], ['b', 4, 6, 6]]);
  assert.equal(read.duration, 10);
});

test('malformed MPDs are refused with dash.bad-mpd naming the element and the problem', () => {
  const rep = (attrs: string, inner = '<SegmentTemplate media="$Number$" duration="1"/>') => mpd(`<Period><AdaptationSet id="3">${inner}<Representation ${attrs}/></AdaptationSet></Period>`);
  assert.throws(() => readMpd(''), badMpd(/empty document/));
  assert.throws(() => readMpd('<MPD><Period>'), badMpd(/malformed XML/));
  assert.throws(() => readMpd('<SmoothStreamingMedia/>'), badMpd(/expected root element <MPD>.*found <SmoothStreamingMedia>/));
  assert.throws(() => readMpd(mpd('')), badMpd(/at least one <Period>/));
  assert.throws(() => readMpd(mpd('<Period/>', 'type="live"')), badMpd(/type must be static or dynamic/));
  assert.throws(() => readMpd(mpd('<Period/>', 'mediaPresentationDuration="8 seconds"')), badMpd(/mediaPresentationDuration must be .*xs:duration/));
  assert.throws(() => readMpd(rep('id="v"')), badMpd(/AdaptationSet 3 Representation 'v': expected a bandwidth/));
  assert.throws(() => readMpd(rep('bandwidth="1"')), badMpd(/Representation 0: expected an id/));
  assert.throws(() => readMpd(rep('id="v" bandwidth="1k"')), badMpd(/bandwidth must be an unsigned integer, found "1k"/));
  assert.throws(() => readMpd(rep('id="v" bandwidth="1"', '<SegmentBase indexRange="0-99"/>')), badMpd(/SegmentBase is not supported/));
  assert.throws(() => readMpd(rep('id="v" bandwidth="1"', '')), badMpd(/no SegmentTemplate/));
  assert.throws(() => readMpd(rep('id="v" bandwidth="1"', '<SegmentTemplate media="$Number$"/>')), badMpd(/neither a SegmentTimeline nor a duration/));
  assert.throws(() => readMpd(rep('id="v" bandwidth="1"', '<SegmentTemplate media="$Nummer$" duration="1"/>')), badMpd(/SegmentTemplate media: .*unknown identifier \$Nummer\$/));
  assert.throws(() => readMpd(rep('id="v" bandwidth="1"', '<SegmentTemplate media="$Time$"><SegmentTimeline><S t="0"/></SegmentTimeline></SegmentTemplate>')), badMpd(/S 0: expected a d attribute/));
  assert.throws(() => readMpd(rep('id="v" bandwidth="1"', '<SegmentTemplate media="$Time$"><SegmentTimeline><S t="10" d="5"/><S t="12" d="5"/></SegmentTimeline></SegmentTemplate>')), badMpd(/S 1: t=12 goes back/));
  assert.throws(() => readMpd(rep('id="v" bandwidth="1"', '<SegmentTemplate media="$Time$" timescale="0" duration="1"/>')), badMpd(/timescale must be an integer from 1/));
  assert.throws(() => readMpd(mpd('<Period xlink:href="http://x/p.xml" xmlns:xlink="http://www.w3.org/1999/xlink"/>')), badMpd(/xlink/));
  assert.throws(
    () => readMpd(mpd('<Period><AdaptationSet><SegmentTemplate media="$Time$"><SegmentTimeline><S d="5" r="-1"/></SegmentTimeline></SegmentTemplate><Representation id="v" bandwidth="1"/></AdaptationSet></Period>', 'type="dynamic"')),
    badMpd(/r=-1 .* neither is known/),
  );
});

test('namespace prefixes and a byte order mark are read through', () => {
  const xml = `\uFEFF<mpd:MPD xmlns:mpd="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT2S"><mpd:Period><mpd:AdaptationSet contentType="audio" lang="fr">
    <mpd:SegmentTemplate media="s$Number$" duration="1"/><mpd:Representation id="a" bandwidth="1"/></mpd:AdaptationSet></mpd:Period></mpd:MPD>`;
  const set = readMpd(xml).periods[0]!.adaptationSets[0]!;
  assert.deepEqual([set.lang, set.representations[0]!.segments.map((s) => s.url)], ['fr', ['s1', 's2']]);
});
