// smoothpub player: Smooth and DASH with dash.js (+ its Smooth bundle, dash.mss), HLS with
// hls.js; no build step. One presentation folder answers all three (src/formats/names.ts):
//   <name>.ism/Manifest       Smooth client Manifest  -> dash.js with its Smooth support
//   <name>.ism/manifest.mpd   DASH MPD                -> dash.js
//   <name>.ism/master.m3u8    HLS multivariant list   -> hls.js
// The format selector offers the ones whose document exists beside the one playing (HEAD).
// Query parameters:
//   manifest=<url>   what to play (default ./video.ism/Manifest); the format follows from the
//                    name: *.mpd or manifest(format=mpd-time-...) is DASH, *.m3u8 or
//                    manifest(format=m3u8-...) is HLS, anything else Smooth
//   format=<f>       smooth, dash or hls: play that document of the same presentation instead
//                    (the sibling of `manifest`), or say what a `manifest` of another name is
//   quality=<n>      start on video quality n (0 = lowest bitrate) with ABR off; default auto
//   buffer=<s>       forward buffer target in seconds (small values make switches visible)
//   rate=<x>         playback rate
//   fastswitch=0     dash.js: a switch up applies from the next fragment fetched, without
//                    replacing fragments already buffered (then every frame is decoded once)
//   audio=<lang>     preferred audio language (Smooth StreamIndex Language, DASH AdaptationSet
//                    lang, HLS EXT-X-MEDIA LANGUAGE), e.g. fra
//   autoplay=0       do not start playing on load
//   clearkey=<kid>:<key>  play encrypted DASH with W3C Clear Key (org.w3.clearkey) in dash.js,
//                    KID and key as 32 hex digits: for testing `package --key` output only
//                    (a real deployment gets its keys from a licence server, never the URL)
// Tests read state through window.smoothpubStats() and drive it with window.smoothpubSetQuality(),
// window.smoothpubSetAudioLanguage() and window.smoothpubSetFormat().
/* global URLSearchParams, location, history, fetch, Option, Hls, btoa */
'use strict';

(function () {
  /** Object names as src/formats/names.ts writes them; the player library of each. */
  const FORMATS = {
    smooth: { label: 'Smooth', name: 'Manifest', library: 'dash.js' },
    dash: { label: 'DASH', name: 'manifest.mpd', library: 'dash.js' },
    hls: { label: 'HLS', name: 'master.m3u8', library: 'hls.js' },
  };

  const params = new URLSearchParams(location.search);
  const video = document.getElementById('video');
  const formatSelect = document.getElementById('format');
  const qualitySelect = document.getElementById('quality');
  const audioSelect = document.getElementById('audio');
  const errorList = document.getElementById('errors');
  const $ = (id) => document.getElementById(id);

  const startQuality = params.has('quality') && params.get('quality') !== 'auto' ? Number(params.get('quality')) : null;
  const bufferSeconds = params.has('buffer') ? Number(params.get('buffer')) : null;
  const rate = params.has('rate') ? Number(params.get('rate')) : null;
  const fastSwitch = params.get('fastswitch') !== '0';
  const audioParam = params.get('audio') || null;
  const autoplay = params.get('autoplay') !== '0';
  const clearKey = params.get('clearkey') || null;
  // Subtitles or captions to show from the start: a language (`text=en`).
  const textParam = params.get('text') || null;

  /** Hex to unpadded base64url, as Clear Key's JSON Web Keys write KIDs and keys. */
  function base64url(hex) {
    const bytes = (hex.match(/[0-9a-f]{2}/gi) || []).map((h) => parseInt(h, 16));
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function documentName(url) {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() || '');
  }

  /** The format a document URL names (see the header). */
  function formatOf(url) {
    const name = documentName(url);
    if (/\.mpd$/i.test(name) || /\(format=mpd-/i.test(name)) return 'dash';
    if (/\.m3u8$/i.test(name) || /\(format=m3u8-/i.test(name)) return 'hls';
    return 'smooth';
  }

  /** Whether the name says the format (a Smooth Manifest is told by its name only). */
  function namesItsFormat(url) {
    return formatOf(url) !== 'smooth' || /^manifest$/i.test(documentName(url));
  }

  /** The document of `format` beside `url`, keeping its query (a SAS token, say). */
  function siblingUrl(url, format) {
    const sibling = new URL(FORMATS[format].name, url);
    sibling.search = new URL(url).search;
    return sibling.href;
  }

  /** State of the playback in progress; replaced when the format changes. */
  let current = null;
  /** Formats whose document exists (the one playing is always offered). */
  let available = [];
  let probed = false;

  /** Shows a problem on the page and records it: errors stop playback, warnings are ones the player recovered from. */
  function addError(source, code, message, warning) {
    const entry = { source, code: code === undefined ? null : code, message: String(message || ''), time: video.currentTime };
    if (current) (warning ? current.warnings : current.errors).push(entry);
    const li = document.createElement('li');
    li.textContent = `${warning ? 'warning ' : ''}${source}${entry.code !== null ? ' ' + entry.code : ''}: ${entry.message}`;
    if (warning) li.className = 'warning';
    errorList.appendChild(li);
  }

  video.addEventListener('error', () => {
    const err = video.error;
    addError('video', err && err.code, err && err.message);
  });
  if (rate !== null) {
    video.addEventListener('loadedmetadata', () => { video.playbackRate = rate; });
    video.addEventListener('ratechange', () => { if (video.playbackRate !== rate) video.playbackRate = rate; });
  }

  // ---- dash.js: Smooth (through dash.mss) and DASH --------------------------------------

  function createDashjsEngine(state) {
    if (!window.dashjs || !window.dashjs.MediaPlayer) {
      // In a checkout, `npm run build` (run by `npm ci`) copies it into web/vendor/dashjs/.
      addError('page', null, 'dash.js did not load from /dash/dash.all.min.js (in a smoothpub checkout: npm run build)');
      return null;
    }
    if (state.format === 'smooth' && !window.dashjs.MssHandler) {
      addError('page', null, 'the dash.js Smooth bundle did not load from /dash/dash.mss.min.js');
    }
    const player = window.dashjs.MediaPlayer().create();
    const events = window.dashjs.MediaPlayer.events;

    const settings = { streaming: { abr: {}, buffer: {} } };
    if (startQuality !== null) {
      settings.streaming.abr.autoSwitchBitrate = { video: false };
      if (startQuality === 0) settings.streaming.abr.initialBitrate = { video: 1 };
    }
    if (bufferSeconds !== null) {
      Object.assign(settings.streaming.buffer, {
        bufferTimeDefault: bufferSeconds,
        bufferTimeAtTopQuality: bufferSeconds,
        bufferTimeAtTopQualityLongForm: bufferSeconds,
        initialBufferLevel: 0,
      });
    }
    // dash.js replaces buffered fragments after a switch up by default: they are decoded
    // again, so the video element counts their frames twice.
    if (!fastSwitch) settings.streaming.buffer.fastSwitchEnabled = false;
    player.updateSettings(settings);

    const representations = () => {
      try {
        return (player.getRepresentationsByType('video') || []).slice().sort((a, b) => a.bandwidth - b.bandwidth);
      } catch {
        return []; // not initialized yet
      }
    };
    const currentRepresentation = () => {
      try {
        return player.getCurrentRepresentationForType('video');
      } catch {
        return null;
      }
    };
    const tracks = () => {
      try {
        return player.getTracksFor('audio') || [];
      } catch {
        return [];
      }
    };
    const currentTrack = () => {
      try {
        return player.getCurrentTrackFor('audio');
      } catch {
        return null;
      }
    };

    const engine = {
      library: 'dash.js',
      levels: () => representations().map((r) => ({ id: r.id, bitrate: r.bandwidth, width: r.width, height: r.height })),
      currentLevel: () => {
        const rep = currentRepresentation();
        return rep ? { id: rep.id, bitrate: rep.bandwidth, width: rep.width, height: rep.height } : null;
      },
      autoQuality: () => player.getSettings().streaming.abr.autoSwitchBitrate.video,
      setLevel: (level) => {
        if (level === null) {
          player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: true } } } });
        } else {
          player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: false } } } });
          player.setRepresentationForTypeById('video', level.id);
        }
      },
      audioTracks: () => tracks().map((t) => ({ lang: t.lang || null, id: t.id, name: (t.labels && t.labels[0] && t.labels[0].text) || null })),
      currentAudio: () => {
        const t = currentTrack();
        return t ? { lang: t.lang || null, id: t.id } : null;
      },
      setAudio: (index) => {
        const track = tracks()[index];
        if (!track) return false;
        player.setCurrentTrack(track);
        return true;
      },
      buffer: (type) => {
        try {
          return player.getBufferLength(type);
        } catch {
          return null;
        }
      },
      destroy: () => player.reset(),
    };

    player.on(events.ERROR, (e) => {
      const err = e.error || {};
      addError('dashjs', err.code, err.message || JSON.stringify(err));
    });
    player.on(events.PLAYBACK_ERROR, (e) => addError('playback', e.error && e.error.code, e.error && e.error.message));
    player.on(events.QUALITY_CHANGE_RENDERED, (e) => {
      if (e.mediaType !== 'video') return;
      state.qualityChanges.push({
        from: e.oldRepresentation ? e.oldRepresentation.bandwidth : null,
        to: e.newRepresentation ? e.newRepresentation.bandwidth : null,
        time: video.currentTime,
      });
      renderQualitySelect();
    });
    player.on(events.FRAGMENT_LOADING_COMPLETED, (e) => {
      const r = e.request || {};
      if (r.type !== 'MediaSegment' || e.error) return; // fired for failed loads too
      state.fragments.push({ type: r.mediaType, bitrate: r.bandwidth || (r.representation && r.representation.bandwidth) || null, url: r.url });
    });
    player.on(events.STREAM_INITIALIZED, () => {
      if (startQuality !== null) setQuality(startQuality);

      renderQualitySelect();
      renderAudioSelect();
    });
    player.on(events.TRACK_CHANGE_RENDERED, renderAudioSelect);
    // dash.js matches the initial text language as BCP 47 only; a Smooth Language is ISO 639-2
    // (`fra`): pick the asked one among the tracks added.
    player.on(events.TEXT_TRACKS_ADDED, (e) => {
      if (!textParam) return;
      const wanted = textParam.toLowerCase();
      const index = (e.tracks || []).findIndex((t) => t.lang && t.lang.toLowerCase() === wanted);
      if (index >= 0 && index !== e.index) player.setTextTrack(index);
    });

    // Initial track settings need an initialized player but must precede the source.
    player.initialize(video, null, autoplay);
    // TTML cues (Smooth and DASH text) are drawn by dash.js into this element.
    player.attachTTMLRenderingDiv(document.getElementById('captions'));
    if (clearKey) {
      const [kid, key] = clearKey.split(':');
      player.setProtectionData({ 'org.w3.clearkey': { clearkeys: { [base64url(kid || '')]: base64url(key || '') } } });
    }
    if (state.audioLanguage) player.setInitialMediaSettingsFor('audio', { lang: state.audioLanguage });
    if (textParam) {
      player.updateSettings({ streaming: { text: { defaultEnabled: true } } });
      player.setInitialMediaSettingsFor('text', { lang: textParam });
    }
    // A format switch goes on where the previous format was.
    if (state.startTime > 0) player.attachSource(state.url, state.startTime);
    else player.attachSource(state.url);
    engine.player = player;
    return engine;
  }

  // ---- hls.js: HLS -----------------------------------------------------------------------

  function createHlsjsEngine(state) {
    if (typeof Hls === 'undefined') {
      // In a checkout, `npm run build` (run by `npm ci`) copies it into web/vendor/hlsjs/.
      addError('page', null, 'hls.js did not load from /hls/hls.min.js (in a smoothpub checkout: npm run build)');
      return null;
    }
    if (!Hls.isSupported()) {
      addError('page', null, 'hls.js: this browser has no Media Source Extensions for H.264/AAC');
      return null;
    }
    const config = {};
    if (bufferSeconds !== null) Object.assign(config, { maxBufferLength: bufferSeconds, maxMaxBufferLength: bufferSeconds });
    if (state.audioLanguage) config.audioPreference = { lang: state.audioLanguage };
    if (state.startTime > 0) config.startPosition = state.startTime; // a format switch goes on where it was
    if (textParam) Object.assign(config, { subtitlePreference: { lang: textParam }, subtitleDisplay: true });
    const hls = new Hls(config);

    // hls.levels is hls.js's own order (by height, then bitrate); the page sorts by bitrate.
    const sortedLevels = () => hls.levels.map((l, index) => ({ id: String(index), bitrate: l.bitrate, width: l.width, height: l.height })).sort((a, b) => a.bitrate - b.bitrate);
    const levelAt = (index) => {
      const l = hls.levels[index];
      return l ? { id: String(index), bitrate: l.bitrate, width: l.width, height: l.height } : null;
    };

    const engine = {
      library: 'hls.js',
      levels: () => sortedLevels().map((l) => ({ id: l.id, bitrate: l.bitrate, width: l.width, height: l.height })),
      // The level being loaded (hls.currentLevel is the one on screen).
      currentLevel: () => levelAt(hls.loadLevel),
      autoQuality: () => hls.autoLevelEnabled,
      // loadLevel: the next fragment loaded is of that level; nothing buffered is dropped.
      setLevel: (level) => { hls.loadLevel = level === null ? -1 : Number(level.id); },
      audioTracks: () => hls.audioTracks.map((t) => ({ lang: t.lang || null, id: t.id, name: t.name || null })),
      currentAudio: () => {
        const t = hls.audioTracks[hls.audioTrack];
        return t ? { lang: t.lang || null, id: t.id } : null;
      },
      setAudio: (index) => {
        if (!hls.audioTracks[index]) return false;
        hls.audioTrack = index;
        return true;
      },
      // Video and audio share the media element's buffered ranges here.
      buffer: (type) => {
        const info = type === 'audio' ? hls.audioForwardBufferInfo : hls.mainForwardBufferInfo;
        return info ? info.len : null;
      },
      destroy: () => hls.destroy(),
    };

    hls.on(Hls.Events.ERROR, (_event, data) => {
      const message = [data.details, data.error && data.error.message, data.frag && data.frag.url, data.response && data.response.code && `HTTP ${data.response.code}`].filter(Boolean).join(': ');
      // Non-fatal errors are ones hls.js recovers from (a stall it nudges past, a retried load).
      if (data.fatal) addError('hlsjs', data.type, message);
      else addError('hlsjs', data.type, message, true);
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (startQuality !== null) setQuality(startQuality);
      renderQualitySelect();
      renderAudioSelect();
      if (autoplay) video.play().catch((e) => addError('video', null, `play(): ${e.message}`));
    });
    // Fired when the first fragment of another level starts playing: the level on screen.
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      const to = hls.levels[data.level];
      const last = state.qualityChanges[state.qualityChanges.length - 1];
      state.qualityChanges.push({ from: last ? last.to : null, to: to ? to.bitrate : null, time: video.currentTime });
      renderQualitySelect();
    });
    hls.on(Hls.Events.FRAG_LOADED, (_event, data) => {
      const frag = data.frag;
      if (!frag || frag.sn === 'initSegment') return;
      const source = frag.type === 'audio' ? hls.audioTracks[frag.level] : hls.levels[frag.level];
      state.fragments.push({ type: frag.type === 'main' ? 'video' : frag.type, bitrate: source && source.bitrate ? source.bitrate : null, url: frag.url });
    });
    hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, renderAudioSelect);
    hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, renderAudioSelect);
    hls.on(Hls.Events.LEVEL_SWITCHING, renderQualitySelect);

    hls.loadSource(state.url);
    hls.attachMedia(video);
    engine.hls = hls;
    return engine;
  }

  // ---- the page --------------------------------------------------------------------------

  /**
   * Starts playing `url` as `format` (at `startTime` s, in `audioLanguage` if it has it), after
   * tearing down what played before.
   */
  function load(url, format, startTime, audioLanguage) {
    if (current && current.engine) current.engine.destroy();
    video.removeAttribute('src');
    video.load();
    errorList.replaceChildren();
    current = { url, format, startTime: startTime || 0, audioLanguage: audioLanguage || audioParam, errors: [], warnings: [], qualityChanges: [], fragments: [], engine: null };
    current.engine = FORMATS[format].library === 'hls.js' ? createHlsjsEngine(current) : createDashjsEngine(current);

    const next = new URLSearchParams(location.search);
    next.set('manifest', url);
    if (formatOf(url) === format) next.delete('format');
    else next.set('format', format);
    history.replaceState(null, '', `?${next.toString()}`);
    $('manifest-url').value = url;
    renderFormatSelect();
    renderQualitySelect();
    renderAudioSelect();
  }

  /** HEAD of each format's document beside `url`; an error or a 4xx/5xx means absent. */
  async function probeFormats(url, format) {
    const found = await Promise.all(
      Object.keys(FORMATS).map(async (f) => {
        if (f === format) return true;
        try {
          const res = await fetch(siblingUrl(url, f), { method: 'HEAD', cache: 'no-store' });
          return res.ok;
        } catch {
          return false; // unreachable, or refused by CORS
        }
      }),
    );
    available = Object.keys(FORMATS).filter((_, i) => found[i]);
    probed = true;
    renderFormatSelect();
  }

  function renderFormatSelect() {
    const offered = Object.keys(FORMATS).filter((f) => available.includes(f) || (current && f === current.format));
    if (formatSelect.options.length !== offered.length || [...formatSelect.options].some((o, i) => o.value !== offered[i])) {
      formatSelect.replaceChildren(...offered.map((f) => new Option(`${FORMATS[f].label} (${FORMATS[f].library})`, f)));
    }
    if (current) formatSelect.value = current.format;
  }

  /** Plays the `format` document of the presentation playing now, from the same position and in the same language; false if it is not offered. */
  function setFormat(format) {
    if (!FORMATS[format] || !current) return false;
    if (format === current.format) return true;
    if (!available.includes(format)) return false;
    const audio = current.engine ? current.engine.currentAudio() : null;
    load(siblingUrl(current.url, format), format, video.ended ? 0 : video.currentTime, audio && audio.lang);
    return true;
  }

  formatSelect.addEventListener('change', () => setFormat(formatSelect.value));

  /** 'auto', or an index into the video qualities sorted by bitrate (0 = lowest; larger = highest). */
  function setQuality(choice) {
    const engine = current && current.engine;
    if (!engine) return false;
    if (choice === 'auto') {
      engine.setLevel(null);
    } else {
      const levels = engine.levels();
      const level = levels[Math.max(0, Math.min(Number(choice), levels.length - 1))];
      if (!level) return false;
      engine.setLevel(level);
    }
    renderQualitySelect();
    return true;
  }

  function renderQualitySelect() {
    const engine = current && current.engine;
    const levels = engine ? engine.levels() : [];
    if (qualitySelect.options.length !== levels.length + 1) {
      qualitySelect.replaceChildren(new Option('auto', 'auto'));
      levels.forEach((l, i) => {
        qualitySelect.appendChild(new Option(`${Math.round(l.bitrate / 1000)} kbit/s, ${l.width}x${l.height}`, String(i)));
      });
    }
    const level = engine ? engine.currentLevel() : null;
    const index = level ? levels.findIndex((l) => l.id === level.id) : -1;
    qualitySelect.value = !engine || engine.autoQuality() || index < 0 ? 'auto' : String(index);
  }

  qualitySelect.addEventListener('change', () => setQuality(qualitySelect.value));

  function renderAudioSelect() {
    const engine = current && current.engine;
    const tracks = engine ? engine.audioTracks() : [];
    audioSelect.replaceChildren(...tracks.map((t, i) => new Option(t.lang || t.name || String(t.id !== undefined ? t.id : i), String(i))));
    const audio = engine ? engine.currentAudio() : null;
    const index = audio ? tracks.findIndex((t) => t.id === audio.id && t.lang === audio.lang) : -1;
    if (index >= 0) audioSelect.value = String(index);
  }

  /** Switches audio to the first track whose language is `lang`; false if there is none. */
  function setAudioLanguage(lang) {
    const engine = current && current.engine;
    if (!engine) return false;
    const index = engine.audioTracks().findIndex((t) => t.lang === lang);
    return index >= 0 && engine.setAudio(index);
  }

  audioSelect.addEventListener('change', () => {
    if (current && current.engine) current.engine.setAudio(Number(audioSelect.value));
  });

  function stats() {
    const engine = current && current.engine;
    const level = engine ? engine.currentLevel() : null;
    const quality = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
    const audio = engine ? engine.currentAudio() : null;
    const changes = current ? current.qualityChanges : [];
    return {
      manifestUrl: current ? current.url : null,
      format: current ? current.format : null,
      library: current ? FORMATS[current.format].library : null,
      formats: Object.keys(FORMATS).filter((f) => available.includes(f) || (current && f === current.format)),
      formatsProbed: probed,
      currentTime: video.currentTime,
      duration: video.duration,
      ended: video.ended,
      paused: video.paused,
      readyState: video.readyState,
      playbackRate: video.playbackRate,
      // Selected level (what is being fetched) and the level on screen now.
      videoBitrate: level ? level.bitrate : null,
      renderedVideoBitrate: changes.length > 0 ? changes[changes.length - 1].to : null,
      videoWidth: video.videoWidth,
      videoHeight: video.videoHeight,
      autoQuality: engine ? engine.autoQuality() : null,
      videoQualities: engine ? engine.levels() : [],
      audioTracks: engine ? engine.audioTracks() : [],
      audioLanguage: audio ? audio.lang : null,
      bufferVideo: engine ? engine.buffer('video') : null,
      bufferAudio: engine ? engine.buffer('audio') : null,
      droppedFrames: quality ? quality.droppedVideoFrames : null,
      totalFrames: quality ? quality.totalVideoFrames : null,
      audioDecodedBytes: video.webkitAudioDecodedByteCount === undefined ? null : video.webkitAudioDecodedByteCount,
      videoDecodedBytes: video.webkitVideoDecodedByteCount === undefined ? null : video.webkitVideoDecodedByteCount,
      errors: current ? current.errors.slice() : [],
      warnings: current ? current.warnings.slice() : [],
      qualityChanges: changes.slice(),
      fragments: current ? current.fragments.slice() : [],
      textTracks: textTracks(),
      captions: captionsShown.slice(),
    };
  }

  // What dash.js drew into the captions element, with the media time when the page heard of
  // it: TTML cues carry no text of their own (dash.js renders each into an element of its own,
  // named by the cue's id, when it shows). Every element added is kept as drawn, even one
  // already removed again (a cue entered and left while the page's scripts waited), and ''
  // when the element empties.
  const captionsElement = document.getElementById('captions');
  const captionsShown = [];
  new MutationObserver((records) => {
    const time = video.currentTime;
    for (const r of records) {
      if (r.target !== captionsElement) continue;
      for (const node of r.addedNodes) captionsShown.push({ time, id: node.id || null, html: 'outerHTML' in node ? node.outerHTML : node.textContent });
    }
    const last = captionsShown[captionsShown.length - 1];
    if (captionsElement.innerHTML === '' && last && last.html !== '') captionsShown.push({ time, id: null, html: '' });
  }).observe(captionsElement, { childList: true });

  /** The video element's text tracks and their cues, as the players made them (times, text, HTML). */
  function textTracks() {
    return Array.from(video.textTracks).map((t) => ({
      kind: t.kind,
      label: t.label,
      language: t.language,
      mode: t.mode,
      cues: Array.from(t.cues || []).map((c) => {
        let html = null;
        if (c.cueHTMLElement) html = c.cueHTMLElement.innerHTML;
        else if (typeof c.getCueAsHTML === 'function') {
          const div = document.createElement('div');
          div.appendChild(c.getCueAsHTML());
          html = div.innerHTML;
        }
        // dash.js names the element it draws a TTML cue into by the cue's cueID.
        const id = c.cueID !== undefined ? String(c.cueID) : c.id || null;
        return { id, startTime: c.startTime, endTime: c.endTime, text: typeof c.text === 'string' ? c.text : null, html };
      }),
    }));
  }

  function fmt(n, digits) {
    return n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits);
  }

  function renderStats() {
    const s = stats();
    $('stat-manifest').textContent = s.manifestUrl;
    $('stat-format').textContent = s.format ? `${FORMATS[s.format].label} with ${s.library}` : '–';
    $('stat-time').textContent = `${fmt(s.currentTime, 2)} / ${fmt(s.duration, 2)} s${s.ended ? ' (ended)' : ''}`;
    const kbps = (b) => (b === null ? '–' : `${Math.round(b / 1000)} kbit/s`);
    $('stat-video').textContent = `showing ${kbps(s.renderedVideoBitrate)} ${s.videoWidth}x${s.videoHeight}, fetching ${kbps(s.videoBitrate)}${s.autoQuality ? ' (auto)' : ''}`;
    $('stat-audio').textContent = `${s.audioLanguage || '–'} (of ${s.audioTracks.map((t) => t.lang || t.name || t.id).join(', ') || '–'})`;
    $('stat-buffer').textContent = `video ${fmt(s.bufferVideo, 1)} s, audio ${fmt(s.bufferAudio, 1)} s`;
    $('stat-frames').textContent = `${s.totalFrames ?? '–'} shown, ${s.droppedFrames ?? '–'} dropped`;
    $('stat-decoded').textContent = `video ${s.videoDecodedBytes ?? '–'} B, audio ${s.audioDecodedBytes ?? '–'} B`;
  }
  setInterval(renderStats, 500);

  $('source').addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams(location.search);
    next.set('manifest', $('manifest-url').value);
    next.delete('format');
    location.search = next.toString();
  });

  window.smoothpubStats = stats;
  window.smoothpubSetQuality = setQuality;
  window.smoothpubSetAudioLanguage = setAudioLanguage;
  window.smoothpubSetFormat = setFormat;
  Object.defineProperty(window, 'smoothpubPlayer', { get: () => (current && current.engine ? current.engine.player || current.engine.hls : null) });

  let url;
  let format;
  try {
    const given = new URL(params.get('manifest') || './video.ism/Manifest', location.href).href;
    const asked = params.get('format');
    if (asked !== null && !FORMATS[asked]) throw new Error(`format=${asked}: expected smooth, dash or hls`);
    format = asked || formatOf(given);
    // format= names another document of the same presentation, unless `manifest` is of that
    // format already, or has a name that does not say its format (then it is that format).
    url = asked && formatOf(given) !== asked && namesItsFormat(given) ? siblingUrl(given, asked) : given;
  } catch (e) {
    current = { url: null, format: null, errors: [], warnings: [], qualityChanges: [], fragments: [], engine: null };
    addError('page', null, e.message);
    return;
  }
  load(url, format);
  probeFormats(url, format);
})();
