import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readIsm, writeIsm } from '../../src/smooth/index.js';
import type { Ism } from '../../src/smooth/index.js';
import { SmoothpubError } from '../../src/errors.js';

// As IIS Media Services / Expression Encoder write it (BOM, comment, CRLF, one file per bitrate).
const IIS_ISM = '\uFEFF<?xml version="1.0" encoding="utf-8"?>\r\n' + `<!--Created with Expression Encoder version 4.0.4276.0-->
<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
  <head>
    <meta name="clientManifestRelativePath" content="BigBuckBunny.ismc" />
  </head>
  <body>
    <switch>
      <video src="BigBuckBunny_2436.ismv" systemBitrate="2436000">
        <param name="trackID" value="2" valuetype="data" />
      </video>
      <video src="media\\BigBuckBunny_1636.ismv" systemBitrate="1636000">
        <param name="trackID" value="2" valuetype="data" />
      </video>
      <audio src="BigBuckBunny_2436.ismv" systemBitrate="64000">
        <param name="trackID" value="1" valuetype="data" />
      </audio>
      <textstream src="captions.ismt" systemBitrate="1000" systemLanguage="fr">
        <param name="trackID" value="3" valuetype="data" />
        <param name="trackName" value="text_fr" valuetype="data" />
      </textstream>
    </switch>
  </body>
</smil>
`;

// As Azure Media Services writes it: systemLanguage attribute, trackName params, formats meta.
const AMS_ISM = `<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
  <head>
    <meta name="formats" content="mp4-v3" />
  </head>
  <body>
    <switch>
      <audio src="video_aac_und_2_128041_2_1.mp4" systemBitrate="128041" systemLanguage="und">
        <param name="systemBitrate" value="128041" valuetype="data" />
        <param name="trackID" value="2" valuetype="data" />
        <param name="trackName" value="aac_und_2_128041_2_1" valuetype="data" />
      </audio>
      <video src="video_1280x720_3400.mp4" systemBitrate="3397212">
        <param name="trackID" value="1" valuetype="data" />
      </video>
    </switch>
  </body>
</smil>`;

test('readIsm reads an IIS .ism and resolves src against its directory', () => {
  assert.deepEqual(readIsm(IIS_ISM, '/srv/media/BigBuckBunny.ism'), {
    clientManifestRelativePath: 'BigBuckBunny.ismc',
    entries: [
      { kind: 'video', src: '/srv/media/BigBuckBunny_2436.ismv', systemBitrate: 2436000, trackId: 2 },
      { kind: 'video', src: '/srv/media/media/BigBuckBunny_1636.ismv', systemBitrate: 1636000, trackId: 2 },
      { kind: 'audio', src: '/srv/media/BigBuckBunny_2436.ismv', systemBitrate: 64000, trackId: 1 },
      { kind: 'text', src: '/srv/media/captions.ismt', systemBitrate: 1000, language: 'fr', trackId: 3, trackName: 'text_fr' },
    ],
  });
});

test('readIsm reads an Azure Media Services .ism in document order, relative .ism path', () => {
  assert.deepEqual(readIsm(AMS_ISM, 'out/video.ism'), {
    entries: [
      { kind: 'audio', src: 'out/video_aac_und_2_128041_2_1.mp4', systemBitrate: 128041, language: 'und', trackId: 2, trackName: 'aac_und_2_128041_2_1' },
      { kind: 'video', src: 'out/video_1280x720_3400.mp4', systemBitrate: 3397212, trackId: 1 },
    ],
  });
  assert.equal(readIsm(AMS_ISM, 'video.ism').entries[1]?.src, 'video_1280x720_3400.mp4');
});

test('readIsm refuses src paths outside the .ism directory', () => {
  const withSrc = (src: string): string => `<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch><video src="${src}"/></switch></body></smil>`;
  for (const src of ['/etc/passwd', '../secret.ismv', 'a/../../b.ismv', '..\\up.ismv', '\\\\server\\share\\x.ismv', 'C:\\media\\x.ismv', 'c:x.ismv', 'http://example.com/x.ismv', 'file:///x.ismv', '', '.', 'dir/', '..']) {
    assert.throws(
      () => readIsm(withSrc(src), '/srv/x.ism'),
      (e: unknown) => e instanceof SmoothpubError && e.code === 'smooth.bad-ism' && e.message.includes('relative path inside') && e.context.file === '/srv/x.ism',
      JSON.stringify(src),
    );
  }
  // Staying inside is fine, even through '..'.
  assert.equal(readIsm(withSrc('a/../b/./c.ismv'), '/srv/x.ism').entries[0]?.src, '/srv/b/c.ismv');
});

test('readIsm refuses a clientManifestRelativePath escaping the directory', () => {
  const xml = '<smil><head><meta name="clientManifestRelativePath" content="../x.ismc"/></head><body><switch><audio src="a.isma"/></switch></body></smil>';
  assert.throws(() => readIsm(xml, 'x.ism'), /clientManifestRelativePath must be a relative path inside/);
});

test('readIsm says what it expected for non-.ism input', () => {
  const cases: [string, RegExp][] = [
    ['<SmoothStreamingMedia MajorVersion="2"/>', /expected root element <smil> .*found <SmoothStreamingMedia>/],
    ['<smil><body><video src="a"></body></smil>', /malformed XML/],
    ['', /found an empty document/],
    ['<smil><body><switch/></body></smil>', /found none/],
    ['<smil><body><switch><img src="a.png"/></switch></body></smil>', /found <img>/],
    ['<smil><body><switch><video/></switch></body></smil>', /no src/],
    ['<smil><body><switch><video src="a" systemBitrate="1e6"/></switch></body></smil>', /systemBitrate must be an unsigned 32-bit integer, found "1e6"/],
    ['<smil><body><switch><video src="a"><param name="trackID" value="-1"/></video></switch></body></smil>', /trackID must be/],
  ];
  for (const [xml, message] of cases) {
    assert.throws(() => readIsm(xml, 'x.ism'), (e: unknown) => e instanceof SmoothpubError && e.code === 'smooth.bad-ism' && message.test(e.message), xml);
  }
});

test('writeIsm writes an IIS-style .ism that reads back the same', () => {
  const ism: Ism = {
    clientManifestRelativePath: 'movie.ismc',
    entries: [
      { kind: 'video', src: 'movie_2000.ismv', systemBitrate: 2000000, trackId: 1, trackName: 'video' },
      { kind: 'audio', src: 'movie_2000.ismv', systemBitrate: 128000, trackId: 2, trackName: 'audio_eng', language: 'eng' },
    ],
  };
  const xml = writeIsm(ism);
  assert.equal(
    xml,
    [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<smil xmlns="http://www.w3.org/2001/SMIL20/Language">',
      '  <head>',
      '    <meta name="clientManifestRelativePath" content="movie.ismc"/>',
      '  </head>',
      '  <body>',
      '    <switch>',
      '      <video src="movie_2000.ismv" systemBitrate="2000000">',
      '        <param name="trackID" value="1" valuetype="data"/>',
      '        <param name="trackName" value="video" valuetype="data"/>',
      '      </video>',
      '      <audio src="movie_2000.ismv" systemBitrate="128000" systemLanguage="eng">',
      '        <param name="trackID" value="2" valuetype="data"/>',
      '        <param name="trackName" value="audio_eng" valuetype="data"/>',
      '      </audio>',
      '    </switch>',
      '  </body>',
      '</smil>',
      '',
    ].join('\n'),
  );
  assert.deepEqual(readIsm(xml, 'movie.ism'), ism);
});

test('a <textstream> Subtype (param or attribute, any case) is read; writeIsm leaves it out (IIS documents no such param); another value is refused', () => {
  const ism: Ism = { entries: [{ kind: 'text', src: 'v_textstream_eng_900.ismt', systemBitrate: 900, trackId: 1, trackName: 'textstream_eng', language: 'eng', subtype: 'CAPT' }] };
  const xml = writeIsm(ism);
  assert.doesNotMatch(xml, /Subtype/i);
  assert.deepEqual(readIsm(xml, 'v.ism').entries, [{ kind: 'text', src: 'v_textstream_eng_900.ismt', systemBitrate: 900, trackId: 1, trackName: 'textstream_eng', language: 'eng' }]);
  assert.equal(readIsm(xml.replace('</textstream>', '<param name="Subtype" value="CAPT" valuetype="data"/></textstream>'), 'v.ism').entries[0]!.subtype, 'CAPT');
  const body = (inner: string): string => `<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch>${inner}</switch></body></smil>`;
  assert.equal(readIsm(body('<textstream src="t.ismt" subtype="subt"/>'), 'v.ism').entries[0]!.subtype, 'SUBT');
  assert.equal(readIsm(body('<textstream src="t.ismt"><param name="subtype" value="capt"/></textstream>'), 'v.ism').entries[0]!.subtype, 'CAPT');
  assert.throws(
    () => readIsm(body('<textstream src="t.ismt"><param name="Subtype" value="CHAP"/></textstream>'), 'v.ism'),
    (e: unknown) => e instanceof SmoothpubError && e.code === 'smooth.bad-ism' && /CAPT .*SUBT.*"CHAP"/.test(e.message),
  );
});
