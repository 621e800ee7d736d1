import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFragmentUrl, readManifest, writeManifest } from '../../src/smooth/index.js';
import { SmoothpubError } from '../../src/errors.js';

const isBadManifest = (message: RegExp) => (e: unknown): boolean => e instanceof SmoothpubError && e.code === 'smooth.bad-manifest' && message.test(e.message);

// Expression Encoder 3 / IIS v1-style: BOM, comment, no TimeScale, `n` + `d` only,
// Width/Height, no Index, VC-1 video, WMA Pro audio described by WaveFormatEx and Subtype.
const EXPRESSION_ENCODER = `\uFEFF<?xml version="1.0" encoding="utf-8"?>
<!--Created with Expression Encoder version 3.0.1332.0-->
<SmoothStreamingMedia MajorVersion="1" MinorVersion="0" Duration="60000000">
  <StreamIndex Type="video" Subtype="WVC1" Chunks="3" Url="QualityLevels({bitrate})/Fragments(video={start time})">
    <QualityLevel Bitrate="2962000" FourCC="WVC1" Width="1280" Height="720" CodecPrivateData="250000010FD3FE27F1678A27F859E80450824A56DCECC00000010E5A67F840" />
    <QualityLevel Bitrate="1427000" FourCC="WVC1" Width="848" Height="480" CodecPrivateData="250000010FCBE61A70EF8A1A783BE80450807A905D4D940000010E5A67F840" />
    <c n="0" d="20020000" />
    <!-- fragments continue -->
    <c n="1" d="20020000" />
    <c n="2" d="19960000" />
  </StreamIndex>
  <StreamIndex Type="audio" Subtype="WmaPro" Chunks="2" Url="QualityLevels({bitrate})/Fragments(audio={start time})">
    <QualityLevel Bitrate="64000" WaveFormatEx="6201020044AC0000451F0000CF05100012001000030000000000000000000000E00042C0" />
    <c n="0" d="30000000" />
    <c n="1" d="30000000" />
  </StreamIndex>
</SmoothStreamingMedia>
`;

test('reads an Expression Encoder v1 manifest: n and d only, Width/Height, WaveFormatEx', () => {
  const p = readManifest(EXPRESSION_ENCODER);
  assert.deepEqual(p, {
    majorVersion: 1,
    minorVersion: 0,
    timeScale: 10_000_000,
    duration: 60_000_000n,
    streams: [
      {
        type: 'video',
        name: 'video',
        subtype: 'WVC1',
        url: 'QualityLevels({bitrate})/Fragments(video={start time})',
        qualityLevels: [
          { index: 0, bitrate: 2962000, fourCC: 'WVC1', maxWidth: 1280, maxHeight: 720, codecPrivateData: '250000010FD3FE27F1678A27F859E80450824A56DCECC00000010E5A67F840' },
          { index: 1, bitrate: 1427000, fourCC: 'WVC1', maxWidth: 848, maxHeight: 480, codecPrivateData: '250000010FCBE61A70EF8A1A783BE80450807A905D4D940000010E5A67F840' },
        ],
        chunks: [
          { t: 0n, d: 20_020_000n },
          { t: 20_020_000n, d: 20_020_000n },
          { t: 40_040_000n, d: 19_960_000n },
        ],
      },
      {
        type: 'audio',
        name: 'audio',
        subtype: 'WmaPro',
        url: 'QualityLevels({bitrate})/Fragments(audio={start time})',
        qualityLevels: [{ index: 0, bitrate: 64000, fourCC: 'WmaPro', codecPrivateData: '', waveFormatEx: '6201020044AC0000451F0000CF05100012001000030000000000000000000000E00042C0' }],
        chunks: [
          { t: 0n, d: 30_000_000n },
          { t: 30_000_000n, d: 30_000_000n },
        ],
      },
    ],
  });
  // What we read, we write back and read again unchanged.
  assert.deepEqual(readManifest(writeManifest(p)), p);
});

// Azure Media Services v2.2: r repeat counts, custom stream names in Url, attributes in
// another order, CustomAttributes children, a PlayReady Protection element.
const AZURE = `<?xml version="1.0" encoding="UTF-8"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="100000000" TimeScale="10000000">
  <StreamIndex Chunks="3" Type="audio" Url="QualityLevels({bitrate})/Fragments(aac_eng_2_128041={start time})" QualityLevels="1" Language="eng" Name="aac_eng_2_128041">
    <QualityLevel AudioTag="255" Index="0" BitsPerSample="16" Bitrate="128041" FourCC="AACL" CodecPrivateData="1190" Channels="2" PacketSize="4" SamplingRate="48000" />
    <c t="0" d="40106666" />
    <c d="40106667" />
    <c d="19786667" />
  </StreamIndex>
  <StreamIndex Chunks="5" Type="video" Url="QualityLevels({bitrate})/Fragments(video={start time})" QualityLevels="2" MaxWidth="1280" MaxHeight="720" DisplayWidth="1280" DisplayHeight="720">
    <QualityLevel Index="0" Bitrate="3400000" FourCC="AVC1" MaxWidth="1280" MaxHeight="720" CodecPrivateData="000000016764001FACD9405005BB011000000300100000030300F18319600000000168EBE3CB22C0">
      <CustomAttributes>
        <Attribute Name="hardwareProfile" Value="10000" />
      </CustomAttributes>
    </QualityLevel>
    <QualityLevel Index="1" Bitrate="650000" FourCC="AVC1" MaxWidth="640" MaxHeight="360" CodecPrivateData="000000016742C01E" NALUnitLengthField="4" />
    <c t="0" d="20000000" r="4" />
    <c d="20000000" />
  </StreamIndex>
  <Protection>
    <ProtectionHeader SystemID="9a04f079-9840-4286-ab92-e65be0885f95">
      AgIAAAEAAQD4ATwAVwBSAE0ASABFAEEARABFAFIA
    </ProtectionHeader>
  </Protection>
</SmoothStreamingMedia>`;

test('reads an Azure Media Services manifest: r repeats, custom names, CustomAttributes, Protection', () => {
  const p = readManifest(AZURE);
  const [audio, video] = p.streams;
  assert.ok(audio && video);
  assert.equal(audio.name, 'aac_eng_2_128041');
  assert.equal(audio.language, 'eng');
  assert.deepEqual(audio.chunks.map((c) => c.t), [0n, 40_106_666n, 80_213_333n]);
  assert.deepEqual(audio.qualityLevels[0], { index: 0, bitrate: 128041, fourCC: 'AACL', codecPrivateData: '1190', samplingRate: 48000, channels: 2, bitsPerSample: 16, packetSize: 4, audioTag: 255 });
  assert.equal(formatFragmentUrl(audio.url, 128041, audio.chunks[1]!.t), 'QualityLevels(128041)/Fragments(aac_eng_2_128041=40106666)');
  // r="4" is four chunks in all (as dash.js and GStreamer count), then one more.
  assert.deepEqual(video.chunks, [0n, 1n, 2n, 3n, 4n].map((k) => ({ t: k * 20_000_000n, d: 20_000_000n })));
  assert.equal(video.name, 'video');
  assert.deepEqual([video.maxWidth, video.maxHeight, video.displayWidth, video.displayHeight], [1280, 720, 1280, 720]);
  assert.equal(video.qualityLevels[1]?.nalUnitLengthField, 4);
  assert.deepEqual(p.protection, [{ systemId: '9a04f079-9840-4286-ab92-e65be0885f95', data: 'AgIAAAEAAQD4ATwAVwBSAE0ASABFAEEARABFAFIA' }]);
  assert.deepEqual(readManifest(writeManifest(p, { repeat: true })), p);
});

// IIS live: IsLive, 2^53+ times in 100 ns since 1970, {Bitrate}/{start_time} spellings,
// FourCC on the StreamIndex, t without d (d from the next t, the last from Duration).
const IIS_LIVE = `<?xml version="1.0" encoding="utf-8"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" TimeScale="10000000" Duration="17640000060000000" IsLive="true" LookaheadCount="2" DVRWindowLength="0">
  <StreamIndex Type="video" Name="video_eng" FourCC="H264" TimeScale="10000000" Chunks="3" QualityLevels="1" Url="QualityLevels({Bitrate})/Fragments(video_eng={start_time})">
    <QualityLevel Index="0" Bitrate="1000000" MaxWidth="640" MaxHeight="360" CodecPrivateData="000000016742C01E0000000168CE3C80" />
    <c t="17640000000000000" />
    <c t="17640000020000000" />
    <c t="17640000040000000" />
  </StreamIndex>
</SmoothStreamingMedia>`;

test('reads an IIS live manifest: big times, d derived from the next t, FourCC from the StreamIndex', () => {
  const p = readManifest(IIS_LIVE);
  assert.equal(p.isLive, true);
  assert.equal(p.lookaheadCount, 2);
  assert.equal(p.dvrWindowLength, 0n);
  const video = p.streams[0];
  assert.ok(video);
  assert.equal(video.timeScale, 10_000_000);
  assert.equal(video.qualityLevels[0]?.fourCC, 'H264');
  assert.deepEqual(video.chunks, [
    { t: 17_640_000_000_000_000n, d: 20_000_000n },
    { t: 17_640_000_020_000_000n, d: 20_000_000n },
    { t: 17_640_000_040_000_000n, d: 20_000_000n },
  ]);
  assert.equal(formatFragmentUrl(video.url, 1000000, video.chunks[2]!.t), 'QualityLevels(1000000)/Fragments(video_eng=17640000040000000)');
});

test('missing t: the first chunk starts at 0, later ones at previous t + d; t jumps are kept', () => {
  const p = readManifest(`<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="0">
    <StreamIndex Type="audio" Name="a"><QualityLevel Bitrate="1" FourCC="AACL"/>
      <c d="10"/><c d="10"/><c t="100" d="5" r="2"/><c d="1"/>
    </StreamIndex></SmoothStreamingMedia>`);
  assert.deepEqual(p.streams[0]?.chunks, [
    { t: 0n, d: 10n },
    { t: 10n, d: 10n },
    { t: 100n, d: 5n },
    { t: 105n, d: 5n },
    { t: 110n, d: 1n },
  ]);
  assert.equal(p.streams[0]?.url, 'QualityLevels({bitrate})/Fragments(a={start time})');
  assert.equal(p.streams[0]?.qualityLevels[0]?.codecPrivateData, '');
});

test('a stream TimeScale scales Duration for the last chunk without d; audio FourCC falls back to AudioTag 255', () => {
  const p = readManifest(`<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" TimeScale="10000000" Duration="30000000">
    <StreamIndex Type="audio" TimeScale="48000"><QualityLevel Bitrate="1" AudioTag="255"/><c t="0"/><c t="96000"/></StreamIndex>
  </SmoothStreamingMedia>`);
  assert.deepEqual(p.streams[0]?.chunks, [{ t: 0n, d: 96000n }, { t: 96000n, d: 48000n }]);
  assert.equal(p.streams[0]?.qualityLevels[0]?.fourCC, 'AACL');
});

test('rejects non-Smooth XML, naming what was expected and found', () => {
  assert.throws(() => readManifest('<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011"/>'), isBadManifest(/expected root element <SmoothStreamingMedia> \(a Smooth Streaming client manifest\), found <MPD>/));
  assert.throws(() => readManifest('#EXTM3U\n#EXT-X-VERSION:3\n'), isBadManifest(/expected a Smooth Streaming client manifest \(XML\), found malformed XML/));
  assert.throws(() => readManifest('<SmoothStreamingMedia><StreamIndex></SmoothStreamingMedia>'), isBadManifest(/malformed XML: .*line 1/));
  assert.throws(() => readManifest(''), isBadManifest(/found an empty document/));
  assert.throws(() => readManifest('<SmoothStreamingMedia MajorVersion="2"/>'), isBadManifest(/expected at least one <StreamIndex>/));
});

test('rejects invalid values with the element and attribute that hold them', () => {
  const wrap = (inner: string, root = 'Duration="100"'): string => `<SmoothStreamingMedia ${root}>${inner}</SmoothStreamingMedia>`;
  const level = '<QualityLevel Bitrate="1"/>';
  const cases: [string, RegExp][] = [
    [wrap(`<StreamIndex Type="data">${level}</StreamIndex>`), /StreamIndex 0: Type must be video, audio or text, found "data"/],
    [wrap(`<StreamIndex>${level}</StreamIndex>`), /Type must be video, audio or text, found none/],
    [wrap('<StreamIndex Type="video"><QualityLevel FourCC="H264"/></StreamIndex>'), /StreamIndex 'video' QualityLevel 0: expected a Bitrate attribute/],
    [wrap('<StreamIndex Type="video"><QualityLevel Bitrate="4294967296"/></StreamIndex>'), /Bitrate must be an unsigned integer up to 4294967295, found "4294967296"/],
    [wrap(`<StreamIndex Type="video" Name="v">${level}<c t="abc" d="1"/></StreamIndex>`), /StreamIndex 'v' chunk 0: t must be an unsigned 64-bit integer, found "abc"/],
    [wrap(`<StreamIndex Type="video">${level}<c t="-1" d="1"/></StreamIndex>`), /t must be an unsigned 64-bit integer, found "-1"/],
    [wrap(`<StreamIndex Type="video">${level}<c t="0" d="1e7"/></StreamIndex>`), /d must be .* found "1e7"/],
    [wrap(`<StreamIndex Type="video">${level}<c t="18446744073709551616" d="1"/></StreamIndex>`), /t must be an unsigned 64-bit integer/],
    [wrap(`<StreamIndex Type="video">${level}<c d="1" r="0"/></StreamIndex>`), /r must be at least 1/],
    [wrap(`<StreamIndex Type="video">${level}<c t="0" r="2"/></StreamIndex>`), /r=2 needs a d/],
    [wrap(`<StreamIndex Type="video">${level}<c t="0"/><c d="5"/></StreamIndex>`), /chunk 1: has no t, and the chunk before it has no d/],
    [wrap(`<StreamIndex Type="video">${level}<c t="10"/><c t="5" d="5"/></StreamIndex>`), /cannot derive d/],
    [wrap(`<StreamIndex Type="video">${level}<c t="200"/></StreamIndex>`), /last chunk .*cannot derive d/],
    [wrap(`<StreamIndex Type="video">${level}<c d="1" r="1000001"/></StreamIndex>`), /more than 1000000 chunks/],
    [wrap(`<StreamIndex Type="video">${level}</StreamIndex>`, 'TimeScale="0"'), /TimeScale must not be 0/],
    [wrap(`<StreamIndex Type="video">${level}</StreamIndex>`, 'MajorVersion="two"'), /MajorVersion must be an unsigned integer/],
  ];
  for (const [xml, message] of cases) assert.throws(() => readManifest(xml), isBadManifest(message), xml);
});

test('tolerates spaces, leading zeros, upper-case Type and unknown elements', () => {
  const p = readManifest(`<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration=" 0100 ">
    <Unknown/><StreamIndex Type="Video" Name="v"><QualityLevel Index="0" Bitrate=" 0500 " FourCC="H264"/><c t="007" d="3"/><f/></StreamIndex>
  </SmoothStreamingMedia>`);
  assert.equal(p.duration, 100n);
  assert.equal(p.streams[0]?.type, 'video');
  assert.equal(p.streams[0]?.qualityLevels[0]?.bitrate, 500);
  assert.deepEqual(p.streams[0]?.chunks, [{ t: 7n, d: 3n }]);
});

// ffmpeg 5.1 `-f smoothstreaming` (unindented, no Name, `n` without t, lowercase hex).
const FFMPEG = `<?xml version="1.0" encoding="utf-8"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="50833333">
<StreamIndex Type="video" QualityLevels="1" Chunks="1" Url="QualityLevels({bitrate})/Fragments(video={start time})">
<QualityLevel Index="0" Bitrate="300000" FourCC="H264" MaxWidth="320" MaxHeight="180" CodecPrivateData="0000000167f4000c919b282833f1b808800000030080000018078a14cb0000000168ebec448440" />
<c n="0" d="50000000" />
</StreamIndex>
<StreamIndex Type="audio" QualityLevels="1" Chunks="1" Url="QualityLevels({bitrate})/Fragments(audio={start time})">
<QualityLevel Index="0" Bitrate="64000" FourCC="AACL" SamplingRate="48000" Channels="1" BitsPerSample="16" PacketSize="4" AudioTag="255" CodecPrivateData="118856e500" />
<c n="0" d="50213333" />
</StreamIndex>
</SmoothStreamingMedia>
`;

test("reads ffmpeg's smoothstreaming manifest; writing it back states the first t explicitly", () => {
  const p = readManifest(FFMPEG);
  assert.deepEqual(p.streams.map((s) => [s.name, s.chunks]), [
    ['video', [{ t: 0n, d: 50_000_000n }]],
    ['audio', [{ t: 0n, d: 50_213_333n }]],
  ]);
  assert.equal(p.streams[1]?.qualityLevels[0]?.codecPrivateData, '118856e500');
  assert.match(writeManifest(p), /<c t="0" d="50213333"\/>/);
});
