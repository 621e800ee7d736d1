// A FormatPresentation built from a fixture set as `package` builds it, with made-up codecs
// strings (unique per level, so a test can see which level's string went where).
import type { FormatLevel, FormatPresentation } from '../../../src/formats/model.js';
import { loadPresentation } from '../../../src/plan/loadPresentation.js';
import type { FixtureSet } from '../../e2e/helpers.js';

export async function fixturePresentation(set: FixtureSet): Promise<FormatPresentation> {
  const built = await loadPresentation(set.inputs);
  const levels = built.levels.map((l): FormatLevel => {
    const level: FormatLevel = {
      streamName: l.streamName,
      bitrate: l.bitrate,
      codecs: `${l.track.kind === 'video' ? 'avc1' : 'mp4a'}.test${l.bitrate}`,
      sizes: l.track.fragments.map((f) => f.size),
    };
    if (l.track.kind === 'video') level.frameRate = '24';
    return level;
  });
  return { presentation: built.presentation, levels };
}
